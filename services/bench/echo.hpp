// The body of the echo benchmark services: reply to every call at once.
#pragma once

#include "service.hpp"

// A call that lends memory (label 1) has its lend read whole and written
// back: what the vTPM's 4 KiB command and response will cost.
extern "C" int64_t service_main() {
    static uint8_t buffer[4096];
    svc::Message m, r;
    for (;;) {
        if (svc::receive(0, m) != 0) continue;
        if (m.label == 1) {
            const int64_t n = svc::lent_read(m.reply, 0, buffer, sizeof buffer);
            r.words[0] = n == sizeof buffer && svc::lent_write(m.reply, 0, buffer, sizeof buffer) == n;
        }
        (void)svc::reply(m.reply, r);
    }
}
