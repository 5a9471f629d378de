#include "lockdown/network_paths.h"

#include <airlock/error.h>
#include <sys/vfs.h>

namespace airlock::lockdown {

namespace {
struct Magic {
  unsigned long value;
  const char* name;
};
// From linux/magic.h and the file systems' sources.
constexpr Magic kNetwork[] = {
    {0x6969, "nfs"},          {0x517B, "smb"},         {0xFF534D42, "cifs"}, {0xFE534D42, "smb2"},
    {0x00C36400, "ceph"},     {0x01021997, "9p"},      {0x5346414F, "afs"}, {0x6B414653, "afs"},
    {0x65735546, "fuse"},     {0x47504653, "gpfs"},    {0x0BD00BD0, "lustre"}, {0x19830326, "fhgfs"},
    {0x013111A8, "ibrix"},    {0x73757245, "coda"},    {0x564c, "ncp"},
};
}  // namespace

std::string network_fs_type(const std::filesystem::path& p) {
  std::filesystem::path at = std::filesystem::absolute(p);
  std::error_code ec;
  while (!std::filesystem::exists(at, ec) && at.has_parent_path() && at != at.parent_path()) at = at.parent_path();
  struct statfs s {};
  if (::statfs(at.c_str(), &s) != 0) return "";
  for (const auto& m : kNetwork)
    if (static_cast<unsigned long>(s.f_type) == m.value) return m.name;
  return "";
}

void refuse_network_paths(const std::vector<std::pair<std::string, std::filesystem::path>>& paths) {
  for (const auto& [setting, path] : paths) {
    if (path.empty()) continue;
    if (const std::string fs = network_fs_type(path); !fs.empty())
      throw Error("lockdown: " + setting + " " + path.string() + " is on a network file system (" + fs +
                  "); --lockdown serves only from local disks");
  }
}

}  // namespace airlock::lockdown
