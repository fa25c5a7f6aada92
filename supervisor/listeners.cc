// The control, events and batches sockets as listeners: bound with their files made
// private, watched connection by connection, and unbound while descriptors
// run short (admission.h) so that ZeroMQ never meets EMFILE in accept(2).
#include <dirent.h>
#include <sys/resource.h>

#include "broker/log.h"
#include "supervisor/daemon.h"
#include "supervisor/state_dir.h"

namespace zsup {
namespace {

// Connections the kernel queues for each listener before ZeroMQ accepts
// them: what ZeroMQ may still accept in one burst after zsupd decided to
// refuse, so far below the descriptor reserve (admission.h).
constexpr int kListenBacklog = 32;

size_t DescriptorLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return 1 << 20;
  return static_cast<size_t>(limit.rlim_cur);
}

size_t OpenDescriptors() {
  size_t n = 0;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (dirent* e = ::readdir(d)) n += e->d_name[0] != '.';
    ::closedir(d);
  }
  return n;
}

}  // namespace

Status Daemon::SecureTcp(zmq::socket_t& socket, const std::string& endpoint, const char* what) {
  if (endpoint.starts_with("ipc://")) return Status::Ok();
  if (!endpoint.starts_with("tcp://")) {
    // ws://, tipc://, ... would be served without any protection.
    return Status::Error(std::string("the ") + what + " endpoint " + endpoint +
                         " is neither ipc:// nor tcp:// (zsupd serves only those two)");
  }
  if (options_.insecure_tcp) {
    LogWarning(std::string("the ") + what + " endpoint " + endpoint +
               " is served WITHOUT CURVE (--insecure-tcp): whoever reaches it " +
               (std::string(what) == "control" ? "can run any program as zsupd's user"
                                               : "can read every node's output"));
    return Status::Ok();
  }
  const std::string dir = options_.state_dir + "/curve";
  bool created = false;
  auto keys = LoadOrCreateServerKeys(dir, &created);
  if (!keys.ok()) return keys.status().Prefixed("CURVE");
  if (created) LogInfo("CURVE: created the server keypair; clients need " + dir + "/server.key");
  if (!zap_) {
    // Bound before any CURVE socket, so no handshake happens without it.
    auto zap = ZapHandler::Start(*context_, dir);
    if (!zap.ok()) return zap.status();
    zap_ = std::move(*zap);
  }
  try {
    socket.set(zmq::sockopt::curve_server, true);
    socket.set(zmq::sockopt::curve_secretkey, keys->secret_z85);
    socket.set(zmq::sockopt::zap_domain, kZapDomain);
    if (&socket == &control_) curve_control_ = true;
  } catch (const zmq::error_t& e) {
    return Status::Error(std::string("cannot set up CURVE on the ") + what + " socket: " + e.what());
  }
  return Status::Ok();
}

Status Daemon::OpenListeners() {
  admission_ = std::make_unique<Admission>(DescriptorLimit());
  descriptors_ = DescriptorBudget{DescriptorLimit(), admission_->high()};
  try {
    control_ = zmq::socket_t(*context_, zmq::socket_type::rep);
    control_.set(zmq::sockopt::linger, 0);
    control_.set(zmq::sockopt::maxmsgsize, options_.max_request_bytes);
    control_.set(zmq::sockopt::backlog, kListenBacklog);
  } catch (const zmq::error_t& e) {
    return Status::Error(std::string("cannot create the control socket: ") + e.what());
  }
  Status secured = SecureTcp(control_, options_.control_endpoint, "control");
  if (!secured.ok()) return secured;
  auto control = Connections::Watch(*context_, control_, "control");
  if (!control.ok()) return control.status();
  control_connections_ = std::move(*control);
  Status s =
      OpenPublisher("events", options_.events_endpoint, 0, &publisher_, &events_connections_);
  if (s.ok() && options_.batches) {
    // A fixed mark: batches are large from the first (publisher.h).
    s = OpenPublisher("batches", options_.batches_endpoint, Publisher::kMaxBatchBytes, &batches_,
                      &batches_connections_);
  }
  if (!s.ok()) return s;
  return BindListeners();
}

Status Daemon::OpenPublisher(const std::string& name, const std::string& endpoint,
                             size_t largest_event, std::unique_ptr<Publisher>* publisher,
                             std::unique_ptr<Connections>* connections) {
  // The events and the batches socket share their bounds and stall policy;
  // each is judged on its own subscribers.
  Publisher::Options o;
  o.name = name;
  o.largest_event = largest_event;
  o.high_water_mark = options_.events_high_water_mark;
  o.queue_bytes = options_.events_queue_bytes;
  o.stall_limit = FromSeconds(options_.events_stall_limit);
  o.cut_off = [connections](bool probation) {
    return (*connections)->CutOffBacklogged(probation, SteadyNow());
  };
  o.backlogged = [connections] { return (*connections)->AnyBacklogged(); };
  auto created = Publisher::Create(*context_, std::move(o));
  if (!created.ok()) return created.status();
  *publisher = std::move(*created);
  try {
    (*publisher)->socket().set(zmq::sockopt::backlog, kListenBacklog);
  } catch (const zmq::error_t& e) {
    return Status::Error("cannot set up the " + name + " socket: " + e.what());
  }
  Status s = SecureTcp((*publisher)->socket(), endpoint, name.c_str());
  if (!s.ok()) return s;
  auto watched = Connections::Watch(*context_, (*publisher)->socket(), name);
  if (!watched.ok()) return watched.status();
  *connections = std::move(*watched);
  return Status::Ok();
}

std::vector<Connections*> Daemon::ClientConnections() const {
  std::vector<Connections*> all{control_connections_.get(), events_connections_.get()};
  if (batches_connections_) all.push_back(batches_connections_.get());
  return all;
}

Status Daemon::BindListeners() {
  try {
    control_.bind(options_.control_endpoint);
  } catch (const zmq::error_t& e) {
    return Status::Error("cannot bind the control socket " + options_.control_endpoint + ": " +
                         e.what());
  }
  Status s = publisher_->Bind(options_.events_endpoint);
  if (s.ok() && batches_) s = batches_->Bind(options_.batches_endpoint);
  if (!s.ok()) {
    UnbindListeners();
    return s;
  }
  // Their files get the umask's mode; only zsupd's user (and the
  // --socket-group) may connect.
  std::vector<std::string> endpoints{options_.control_endpoint, options_.events_endpoint};
  if (batches_) endpoints.push_back(options_.batches_endpoint);
  for (const std::string& endpoint : endpoints) {
    s = RestrictIpcSocket(endpoint, socket_gid_);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

void Daemon::UnbindListeners() {
  try {
    control_.unbind(options_.control_endpoint);
  } catch (const zmq::error_t& e) {
    LogError("cannot unbind the control socket: " + std::string(e.what()));
  }
  Status s = publisher_->Unbind(options_.events_endpoint);
  if (!s.ok()) LogError(s.message());
  if (batches_) {
    s = batches_->Unbind(options_.batches_endpoint);
    if (!s.ok()) LogError(s.message());
  }
}

void Daemon::ServeMonitors(TimePoint now) {
  for (Connections* c : ClientConnections()) {
    c->Drain();
    for (int fd : c->TakeAccepted()) {
      const Admission::Action action = admission_->OnAccepted(fd, now);
      // A connection in the reserve is closed at once: ZeroMQ may have
      // accepted a few more before zsupd saw the first one.
      if (admission_->refusing() && static_cast<size_t>(fd) >= admission_->high()) c->CutOff(fd);
      if (action != Admission::Action::kStopAccepting) continue;
      LogWarning("a new connection got descriptor " + std::to_string(fd) + " of at most " +
                 std::to_string(DescriptorLimit()) + " (" +
                 std::to_string(control_connections_->count()) + " control, " +
                 std::to_string(events_connections_->count()) + " events and " +
                 std::to_string(batches_connections_ ? batches_connections_->count() : 0) +
                 " batches connections): refusing new connections until fewer than " +
                 std::to_string(admission_->low()) + " descriptors are open");
      UnbindListeners();
    }
  }
}

bool Daemon::AnyoneOn(Connections& connections, TimePoint now) {
  // ZeroMQ reports a connection on the monitor when it accepts it, before
  // the peer's subscriptions can reach the socket: an accept not handled
  // yet is waiting there.
  if (connections.count() == 0) ServeMonitors(now);
  return connections.count() > 0;
}

void Daemon::RecountDescriptors(TimePoint now) {
  const size_t open = OpenDescriptors();
  if (admission_->OnCount(open, now) != Admission::Action::kAcceptAgain) return;
  Status s = BindListeners();
  if (!s.ok()) {
    LogError(s.message() + "; trying again");
    admission_->RetryLater(now);
    return;
  }
  LogInfo("accepting connections again (" + std::to_string(open) + " descriptors open)");
}

}  // namespace zsup
