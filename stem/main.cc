// zsup-stem: started by zsupd; owns the node processes.
#include <CLI/CLI.hpp>

int main(int argc, char** argv) {
  CLI::App app{"zsup-stem: forks, watches, revives and stops zsup's nodes (started by zsupd)"};
  CLI11_PARSE(app, argc, argv);
  return 0;
}
