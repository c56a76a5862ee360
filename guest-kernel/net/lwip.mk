# lwIP for the guests that use the network (included by guest-kernel/guest.mk).
# lwIP 2.1.3 is Debian's `lwip` source package, fetched into build/ at build
# time by fetch-lwip.sh (never vendored), built NO_SYS=1 with the raw API,
# freestanding against the guest's headers and guest-kernel/net/'s port
# (arch/cc.h, lwipopts.h).  It lands in its own archive, linked only into
# the apps listed in GUEST_NET_APPS; the others stay small.

GUEST_NET_APPS  := httpd udpecho
GUEST_LWIP_TOP  := build/lwip
GUEST_LWIP_DIR  := $(GUEST_LWIP_TOP)/src/lwip
GUEST_LWIP_STAMP := $(GUEST_LWIP_TOP)/.fetched
# Only what NO_SYS + IPv4 + raw API needs: the core, ARP, Ethernet.
GUEST_LWIP_SRCS := $(addprefix $(GUEST_LWIP_DIR)/src/, \
	core/init.c core/def.c core/inet_chksum.c core/ip.c core/mem.c core/memp.c \
	core/netif.c core/pbuf.c core/stats.c core/tcp.c core/tcp_in.c core/tcp_out.c \
	core/timeouts.c core/udp.c \
	core/ipv4/etharp.c core/ipv4/icmp.c core/ipv4/ip4.c core/ipv4/ip4_addr.c \
	core/ipv4/ip4_frag.c netif/ethernet.c)
GUEST_LWIP_OBJS := $(patsubst $(GUEST_LWIP_DIR)/src/%.c,$(GUEST_OBJ)/lwip/%.o,$(GUEST_LWIP_SRCS))
GUEST_NET_PORT_OBJS := $(patsubst $(GUEST_SRC)/%.c,$(GUEST_OBJ)/%.o,$(sort $(wildcard $(GUEST_SRC)/net/*.c)))
GUEST_NET_LIB   := $(GUEST_OBJ)/liblwip.a
GUEST_NET_CFLAGS := -I$(GUEST_SRC)/net -I$(GUEST_LWIP_DIR)/src/include
GUEST_NET_APP_OBJS := $(GUEST_NET_APPS:%=$(GUEST_OBJ)/apps/%.o)

$(GUEST_LWIP_STAMP): $(GUEST_SRC)/net/fetch-lwip.sh
	$(GUEST_SRC)/net/fetch-lwip.sh $(GUEST_LWIP_TOP)
	@touch $@

$(GUEST_LWIP_SRCS): | $(GUEST_LWIP_STAMP)
	@test -f $@ || { echo "$@ is not in the lwIP source: remove $(GUEST_LWIP_TOP) and rebuild" >&2; exit 1; }

# lwIP's headers must be there before anything that includes them compiles.
$(GUEST_LWIP_OBJS) $(GUEST_NET_PORT_OBJS) $(GUEST_NET_APP_OBJS): GUEST_CFLAGS += $(GUEST_NET_CFLAGS)
$(GUEST_NET_PORT_OBJS) $(GUEST_NET_APP_OBJS): | $(GUEST_LWIP_STAMP)

$(GUEST_OBJ)/lwip/%.o: $(GUEST_LWIP_DIR)/src/%.c $(GUEST_SRC)/net/lwipopts.h $(GUEST_SRC)/net/arch/cc.h \
		$(GUEST_SRC)/net/lwip.mk
	@mkdir -p $(@D)
	$(GUEST_CC) $(GUEST_CFLAGS) -MMD -MP -c -o $@ $<

$(GUEST_NET_LIB): $(GUEST_NET_PORT_OBJS) $(GUEST_LWIP_OBJS)
	@rm -f $@
	$(GUEST_AR) rcs $@ $^

$(GUEST_NET_APPS:%=$(GUEST_OUT)/%.elf): $(GUEST_NET_LIB)
$(GUEST_NET_APPS:%=$(GUEST_OUT)/%.elf): GUEST_APP_LIBS := $(GUEST_NET_LIB)

-include $(GUEST_LWIP_OBJS:.o=.d) $(GUEST_NET_PORT_OBJS:.o=.d)
