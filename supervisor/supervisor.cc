#include "supervisor/supervisor.h"

#include <atomic>

#include "supervisor/daemon.h"

namespace zsup {
namespace {

std::atomic<bool> g_is_supervisor{false};

}  // namespace

Supervisor::Supervisor(SupervisorOptions options)
    : daemon_(std::make_unique<Daemon>(std::move(options))) {
  g_is_supervisor = true;
}

Supervisor::~Supervisor() = default;

void Supervisor::AddStdoutHook(OutputHook hook) { daemon_->AddHook(Stream::kStdout, std::move(hook)); }
void Supervisor::AddStderrHook(OutputHook hook) { daemon_->AddHook(Stream::kStderr, std::move(hook)); }

Status Supervisor::Run() {
  try {
    return daemon_->Run();
  } catch (const std::exception& e) {
    return Status::Error(std::string("zsupd: unexpected error: ") + e.what());
  }
}

void Supervisor::RequestStop() { daemon_->RequestStop(); }

bool IsSupervisor() { return g_is_supervisor; }

}  // namespace zsup
