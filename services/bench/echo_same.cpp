// Echo on the benchmark's own CPU (1): a call/reply is two context switches.
#include "echo.hpp"

WARDEN_SERVICE_MANIFEST(.name = "echo-same", .serves = "echo-same", .uses = {}, .ports = {}, .cpu = 1);
