// The body of the echo benchmark services: reply to every call at once.
#pragma once

#include "service.hpp"

extern "C" int64_t service_main() {
    svc::Message m, r;
    for (;;) {
        if (svc::receive(0, m) == 0) (void)svc::reply(m.reply, r);
    }
}
