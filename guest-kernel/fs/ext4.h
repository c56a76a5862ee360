/*
 * A read-only ext2/ext3/ext4 reader: the "ext4" VFS backend (fs/vfs.h).
 *
 * Accepts the INCOMPAT features filetype, extents, 64bit, flex_bg,
 * meta_bg, ea_inode, csum_seed and largedir (none of them changes how
 * file data or directories are read beyond what this reader handles), and
 * every RO_COMPAT feature (a reader that never writes can ignore them;
 * checksums are not verified).  Anything else INCOMPAT (compression,
 * journal_dev, mmp, dirdata, inline_data, encrypt, casefold, unknown bits)
 * is refused at mount with a message naming it.
 *
 * needs_recovery (a journal not yet replayed) is refused too: this reader
 * does not replay the journal, and reading the main area without it shows
 * metadata from before the last transactions (directories naming freed
 * inodes, files with stale extents), which is worse than a clear refusal.
 * The fix is on the host: `e2fsck -fy IMAGE`, or mount it once on Linux.
 *
 * Every error is a negative errno value (-EUCLEAN for a corrupt image,
 * -ENOTSUP for a feature this reader does not handle, -EIO from the
 * device); ext4_last_error() says what and where in words.
 */
#ifndef GUEST_FS_EXT4_H
#define GUEST_FS_EXT4_H

#include "fs/vfs.h"

extern const struct vfs_backend ext4_backend;

/*
 * The message for the latest failure of any ext4 call, e.g. "ext4:
 * inode 12: extent header magic 0x0000 (want 0xf30a)"; "" if none yet.
 * For the VFS to print when a mount or a call fails.
 */
const char *ext4_last_error(void);

#endif
