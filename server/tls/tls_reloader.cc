#include "server/tls/tls_reloader.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace larder::tls {
namespace {

absl::Status WritePrivateFile(const std::string& path, const std::string& content) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot write ", path, ": ", std::strerror(errno)));
  }
  size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = errno;
      close(fd);
      return absl::FailedPreconditionError(
          absl::StrCat("cannot write ", path, ": ", std::strerror(error)));
    }
    written += static_cast<size_t>(n);
  }
  close(fd);
  return absl::OkStatus();
}

std::string GenerationDir(const std::string& staging_dir, int generation) {
  return absl::StrCat(staging_dir, "/g", generation);
}

}  // namespace

TlsReloader::TlsReloader(Options options, std::string staging_dir)
    : options_(std::move(options)), staging_dir_(std::move(staging_dir)) {
  const std::string current = staging_dir_ + "/current";
  staged_.certificate_chain = current + "/cert.pem";
  staged_.private_key = current + "/key.pem";
  if (!options_.files.client_ca.empty()) staged_.client_ca = current + "/ca.pem";
}

absl::StatusOr<std::unique_ptr<TlsReloader>> TlsReloader::Start(Options options) {
  absl::StatusOr<std::shared_ptr<const TlsMaterial>> first = TlsMaterial::Read(options.files);
  if (!first.ok()) return first.status();

  const char* tmpdir = std::getenv("TMPDIR");
  const std::string parent = tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp";
  std::string pattern = parent + "/larder-tls-XXXXXX";
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (mkdtemp(buffer.data()) == nullptr) {  // mode 0700
    return absl::FailedPreconditionError(
        absl::StrCat("cannot make a private directory for the TLS files under ", parent, ": ",
                     std::strerror(errno), " (set TMPDIR to a writable directory)"));
  }
  std::unique_ptr<TlsReloader> reloader(new TlsReloader(std::move(options), buffer.data()));
  {
    absl::MutexLock lock(&reloader->reload_mu_);
    if (absl::Status staged = reloader->Stage(**first); !staged.ok()) return staged;
  }
  {
    absl::MutexLock lock(&reloader->current_mu_);
    reloader->current_ = *first;
  }
  reloader->LogServed(**first, "start-up");
  TlsReloader* self = reloader.get();
  reloader->checker_ = std::thread([self] {
    while (!self->stop_.WaitForNotificationWithTimeout(self->options_.check_interval)) {
      self->Check("files changed", /*quiet_when_unchanged=*/true).IgnoreError();
    }
  });
  return reloader;
}

TlsReloader::~TlsReloader() {
  stop_.Notify();
  if (checker_.joinable()) checker_.join();
  std::error_code ignored;
  std::filesystem::remove_all(staging_dir_, ignored);
}

absl::Status TlsReloader::Stage(const TlsMaterial& material) {
  const int next = generation_ + 1;
  const std::string dir = GenerationDir(staging_dir_, next);
  if (mkdir(dir.c_str(), 0700) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot make ", dir, ": ", std::strerror(errno)));
  }
  absl::Status written = WritePrivateFile(dir + "/key.pem", material.key_pem());
  if (written.ok()) written = WritePrivateFile(dir + "/cert.pem", material.chain_pem());
  if (written.ok() && !material.client_ca_pem().empty()) {
    written = WritePrivateFile(dir + "/ca.pem", material.client_ca_pem());
  }
  // The symlink swap replaces key, certificate and CA in one step, so gRPC's watcher never
  // reads a key with another generation's certificate.
  const std::string link = staging_dir_ + "/current";
  const std::string temporary_link = staging_dir_ + "/current.new";
  if (written.ok()) {
    unlink(temporary_link.c_str());
    if (symlink(dir.c_str(), temporary_link.c_str()) != 0 ||
        rename(temporary_link.c_str(), link.c_str()) != 0) {
      written = absl::FailedPreconditionError(
          absl::StrCat("cannot switch ", link, " to ", dir, ": ", std::strerror(errno)));
    }
  }
  std::error_code ignored;
  if (!written.ok()) {
    std::filesystem::remove_all(dir, ignored);
    return written;
  }
  generation_ = next;
  // The generation before the previous one: gRPC may still be reading the previous one.
  std::filesystem::remove_all(GenerationDir(staging_dir_, next - 2), ignored);
  return absl::OkStatus();
}

absl::Status TlsReloader::Reload(absl::string_view reason) {
  return Check(reason, /*quiet_when_unchanged=*/false);
}

absl::Status TlsReloader::Check(absl::string_view reason, bool quiet_when_unchanged) {
  absl::MutexLock lock(&reload_mu_);
  absl::StatusOr<std::shared_ptr<const TlsMaterial>> read = TlsMaterial::Read(options_.files);
  const std::shared_ptr<const TlsMaterial> served = Current();
  absl::Status status = read.status();
  if (read.ok() && (*read)->SameFilesAs(*served)) {
    last_error_.clear();
    if (!quiet_when_unchanged && options_.logger != nullptr) {
      options_.logger->Log(
          observability::LogLevel::kInfo, "TLS files unchanged",
          {{"reason", reason}, {"serial", served->serial()}, {"sha256", served->sha256()}});
    }
    return absl::OkStatus();
  }
  if (read.ok()) status = Stage(**read);
  if (status.ok()) {
    {
      absl::MutexLock current_lock(&current_mu_);
      current_ = *read;
    }
    last_error_.clear();
    LogServed(**read, reason);
    return absl::OkStatus();
  }
  // A periodic check logs a lasting problem once; an operator's SIGHUP always gets an answer.
  const std::string error(status.message());
  if ((!quiet_when_unchanged || error != last_error_) && options_.logger != nullptr) {
    options_.logger->Log(observability::LogLevel::kError,
                         "TLS files not loaded; still serving the previous certificate",
                         {{"reason", reason},
                          {"error", error},
                          {"serial", served->serial()},
                          {"sha256", served->sha256()}});
  }
  last_error_ = error;
  return status;
}

std::shared_ptr<const TlsMaterial> TlsReloader::Current() const {
  absl::MutexLock lock(&current_mu_);
  return current_;
}

void TlsReloader::LogServed(const TlsMaterial& material, absl::string_view reason) const {
  if (options_.logger == nullptr) return;
  options_.logger->Log(observability::LogLevel::kInfo, "TLS certificate loaded",
                       {{"reason", reason},
                        {"subject", material.subject()},
                        {"serial", material.serial()},
                        {"not_after", material.not_after()},
                        {"sha256", material.sha256()},
                        {"client_ca", !material.client_ca_pem().empty()},
                        {"grpc_within_s", static_cast<int>(kGrpcWatchIntervalSeconds)}});
}

}  // namespace larder::tls
