// `--lockdown` refuses to start when a configured path lies on a network file system (NFS, SMB/
// CIFS, Ceph, 9P, AFS, ...): the kernel would move the store's or the audit trail's bytes over
// the network, which the seccomp filter cannot see. FUSE mounts are refused too, since sshfs and
// the like are FUSE.
#pragma once
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace airlock::lockdown {

// `paths`: (setting name, path); empty paths are skipped, and a path that does not exist yet is
// judged by its nearest existing parent. Throws airlock::Error naming the setting and the file
// system.
void refuse_network_paths(const std::vector<std::pair<std::string, std::filesystem::path>>& paths);

// The network file system type name of the file system holding `p`, or empty for a local one.
std::string network_fs_type(const std::filesystem::path& p);

}  // namespace airlock::lockdown
