/* Prometheus text format (metrics.h). */
#include "metrics.h"

static const double bucket_s[METRICS_BUCKETS] = {
	0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1, 5, 30,
};

const char *fail_cause_name(enum fail_cause c)
{
	static const char *const n[FAIL_CAUSES] = {
		"crash", "exit_status", "bad_output", "too_much_output", "timeout", "no_vm",
		"queue_full", "draining", "never_ready", "spawn", "client_gone",
	};
	return c < FAIL_CAUSES ? n[c] : "unknown";
}

void latency_add(struct latency *l, uint64_t ns)
{
	double s = (double)ns / 1e9;

	for (int i = 0; i < METRICS_BUCKETS; i++)
		if (s <= bucket_s[i]) {
			l->buckets[i]++;
			break;
		}
	l->count++;
	l->sum += s;
}

static void histogram(FILE *f, const char *name, const char *help, const struct latency *l)
{
	uint64_t cum = 0;

	fprintf(f, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
	for (int i = 0; i < METRICS_BUCKETS; i++) {
		cum += l->buckets[i];
		fprintf(f, "%s_bucket{le=\"%g\"} %llu\n", name, bucket_s[i], (unsigned long long)cum);
	}
	fprintf(f, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.9f\n%s_count %llu\n", name,
		(unsigned long long)l->count, name, l->sum, name, (unsigned long long)l->count);
}

void metrics_print(const struct metrics *m, FILE *f, unsigned ready, unsigned starting, unsigned busy,
		   unsigned waiting, int snapshot)
{
	fprintf(f, "# HELP flint_serve_requests_total Requests answered, by HTTP status.\n"
		   "# TYPE flint_serve_requests_total counter\n");
	for (int i = 100; i < 600; i++)
		if (m->by_status[i])
			fprintf(f, "flint_serve_requests_total{code=\"%d\"} %llu\n", i,
				(unsigned long long)m->by_status[i]);
	histogram(f, "flint_serve_request_duration_seconds", "From admission to the last response byte queued.",
		  &m->request);
	histogram(f, "flint_serve_vm_start_seconds", "From spawning a VM process to its ready byte.",
		  &m->vm_start);
	fprintf(f, "# HELP flint_serve_pool_vms VMs by state.\n# TYPE flint_serve_pool_vms gauge\n"
		   "flint_serve_pool_vms{state=\"ready\"} %u\nflint_serve_pool_vms{state=\"starting\"} %u\n"
		   "flint_serve_pool_vms{state=\"busy\"} %u\n"
		   "# HELP flint_serve_waiting_requests Admitted requests waiting for a VM.\n"
		   "# TYPE flint_serve_waiting_requests gauge\nflint_serve_waiting_requests %u\n",
		ready, starting, busy, waiting);
	fprintf(f, "# HELP flint_serve_vms_started_total VMs that became ready, by how.\n"
		   "# TYPE flint_serve_vms_started_total counter\n"
		   "flint_serve_vms_started_total{how=\"%s\"} %llu\n",
		snapshot ? "restored" : "booted", (unsigned long long)(snapshot ? m->restored : m->booted));
	fprintf(f, "# HELP flint_serve_failures_total Failed requests and VMs, by cause.\n"
		   "# TYPE flint_serve_failures_total counter\n");
	for (int i = 0; i < FAIL_CAUSES; i++)
		fprintf(f, "flint_serve_failures_total{cause=\"%s\"} %llu\n", fail_cause_name((enum fail_cause)i),
			(unsigned long long)m->failures[i]);
}
