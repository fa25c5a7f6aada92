// The CLI figure's floor: a static program that does nothing, so that
// starting it costs exec and nothing else (no dynamic loader, no library).
int main() { return 0; }
