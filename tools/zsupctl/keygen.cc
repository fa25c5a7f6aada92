// zsupctl keygen NAME: a CURVE keypair for a client of a zsupd served over
// tcp (docs/remote.md): NAME.key (public, for zsupd's DIR/curve/authorized/
// or readonly/) and NAME.secret (0600, for --client-key). Needs no zsupd.
#include <unistd.h>

#include <iostream>
#include <memory>

#include "broker/curve.h"
#include "tools/zsupctl/commands.h"

namespace zsup::ctl {

Command AddKeygen(CLI::App& app) {
  auto name = std::make_shared<std::string>();
  CLI::App* sub = app.add_subcommand("keygen", "Make a CURVE keypair for reaching zsupd over tcp");
  sub->footer(
      "Writes NAME.key (the public key, 0644) and NAME.secret (the secret key, 0600); an "
      "existing file is never replaced. Copy NAME.key into zsupd's DIR/curve/authorized/ (full "
      "access) or DIR/curve/readonly/ (ping, status, tail, events); zsupd reads it within a "
      "moment. Then: zsupctl --endpoint tcp://HOST:PORT --server-key server.key --client-key "
      "NAME.secret status (server.key is zsupd's DIR/curve/server.key).");
  sub->add_option("NAME", *name, "path prefix of the two files, e.g. ~/.config/zsup/laptop")
      ->required();
  return {sub, [name, sub](const GlobalOptions&) {
            if (name->empty()) return UsageError(*sub, "NAME must not be empty");
            auto pair = NewCurveKeyPair();
            if (!pair.ok()) return ReportFailure(pair.status());
            Status s = WriteKeyFile(*name + ".secret", pair->secret_z85, 0600);
            if (s.ok()) {
              s = WriteKeyFile(*name + ".key", pair->public_z85, 0644);
              if (!s.ok()) ::unlink((*name + ".secret").c_str());
            }
            if (!s.ok()) return ReportFailure(s);
            std::cout << "wrote " << *name << ".key (public: copy it to zsupd's "
                      << "DIR/curve/authorized/ or readonly/) and " << *name
                      << ".secret (keep it: --client-key " << *name << ".secret)\n";
            return static_cast<int>(kExitOk);
          }};
}

}  // namespace zsup::ctl
