// zsupd: the supervisor.
#include <CLI/CLI.hpp>

int main(int argc, char** argv) {
  CLI::App app{"zsupd: keeps nodes alive and controllable over ZeroMQ"};
  CLI11_PARSE(app, argc, argv);
  return 0;
}
