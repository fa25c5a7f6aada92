// For programs that run as zsup nodes: am I supervised, and what is my
// configuration? Header-only; zsupd sets ZEEK_SUPERVISED_NODE (the node's
// config as Zeek's JSON) or, for configs over 100,000 bytes,
// ZEEK_SUPERVISED_NODE_FILE naming a file that holds it.
//
//   if (zsup::node::IsSupervised()) {
//     auto me = zsup::node::Node();
//     if (me.ok()) std::cout << "I am " << me->name << "\n";
//   }
#pragma once

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "broker/json.h"
#include "broker/messages.h"
#include "broker/status.h"

namespace zsup::node {

inline bool IsSupervised() {
  return std::getenv("ZEEK_SUPERVISED_NODE") != nullptr ||
         std::getenv("ZEEK_SUPERVISED_NODE_FILE") != nullptr;
}

// This process's NodeConfig; an error when not supervised or unreadable.
inline Result<NodeConfig> Node() {
  if (const char* json = std::getenv("ZEEK_SUPERVISED_NODE")) {
    auto c = NodeConfigFromJson(json);
    if (!c.ok()) return c.status().Prefixed("ZEEK_SUPERVISED_NODE");
    return c;
  }
  if (const char* path = std::getenv("ZEEK_SUPERVISED_NODE_FILE")) {
    std::ifstream in(path);
    if (!in) return Status::Error(std::string("cannot read ZEEK_SUPERVISED_NODE_FILE ") + path);
    std::stringstream text;
    text << in.rdbuf();
    auto c = NodeConfigFromJson(text.str());
    if (!c.ok()) return c.status().Prefixed(path);
    return c;
  }
  return Status::Error("not running under zsup (ZEEK_SUPERVISED_NODE is not set)");
}

}  // namespace zsup::node
