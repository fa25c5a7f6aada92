// zsupctl: command-line client of zsupd.
#include <CLI/CLI.hpp>

int main(int argc, char** argv) {
  CLI::App app{"zsupctl: control and watch zsupd"};
  CLI11_PARSE(app, argc, argv);
  return 0;
}
