#include "supervisor/publisher.h"

#include "broker/log.h"

namespace zsup {

Result<std::unique_ptr<Publisher>> Publisher::Bind(zmq::context_t& context,
                                                   const std::string& endpoint,
                                                   int high_water_mark) {
  try {
    zmq::socket_t socket(context, zmq::socket_type::pub);
    socket.set(zmq::sockopt::linger, 0);
    socket.set(zmq::sockopt::sndhwm, high_water_mark);
    socket.bind(endpoint);
    return std::unique_ptr<Publisher>(new Publisher(std::move(socket)));
  } catch (const zmq::error_t& e) {
    return Status::Error("cannot bind the events socket " + endpoint + ": " + e.what());
  }
}

void Publisher::Publish(std::string_view topic, std::string_view payload) {
  try {
    socket_.send(zmq::const_buffer(topic.data(), topic.size()),
                 zmq::send_flags::sndmore | zmq::send_flags::dontwait);
    socket_.send(zmq::const_buffer(payload.data(), payload.size()), zmq::send_flags::dontwait);
  } catch (const zmq::error_t& e) {
    LogError(std::string("publish: ") + e.what());
  }
}

void Publisher::NodeStatus(const NodeStatusEvent& e) {
  Publish(EventTopic(EventKind::kNodeStatus, e.node), EncodeNodeStatusEvent(e));
}

void Publisher::NodeExit(const NodeExitEvent& e) {
  Publish(EventTopic(EventKind::kNodeExit, e.node), EncodeNodeExitEvent(e));
}

void Publisher::Output(std::string_view topic, std::string_view node, std::string_view msg,
                       int64_t seq, double at) {
  scratch_.clear();
  Packer pk(scratch_);
  PackOutputEvent(pk, node, msg, seq, at);
  Publish(topic, std::string_view(scratch_.data(), scratch_.size()));
}

void Publisher::SetLinger(std::chrono::milliseconds linger) {
  try {
    socket_.set(zmq::sockopt::linger, static_cast<int>(linger.count()));
  } catch (const zmq::error_t& e) {
    LogError(std::string("events socket: ") + e.what());
  }
}

}  // namespace zsup
