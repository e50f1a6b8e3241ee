// Echo on another CPU (2): a call/reply is two cross-CPU wake-ups.
#include "echo.hpp"

WARDEN_SERVICE_MANIFEST(.name = "echo-other", .serves = "echo-other", .uses = {}, .ports = {}, .cpu = 2);
