#ifndef TALENT_CRABBITMQ_SHIM_H
#define TALENT_CRABBITMQ_SHIM_H
// Thin shim over rabbitmq-c (0.11 layout, `rabbitmq-c/` folder from 0.12 on).
#if __has_include(<rabbitmq-c/amqp.h>)
#include <rabbitmq-c/amqp.h>
#include <rabbitmq-c/framing.h>
#include <rabbitmq-c/tcp_socket.h>
#else
#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>
#endif
#include <sys/time.h>
#include <sys/eventfd.h>
#include <poll.h>

/// A non-blocking eventfd that wakes a connection's I/O thread out of poll().
static inline int talent_wakeup_fd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

/// `amqp_login_with_properties` is C-variadic, which Swift cannot call: this wrapper fixes the
/// PLAIN mechanism's (user, password) arguments.
static inline amqp_rpc_reply_t talent_amqp_login_plain(
    amqp_connection_state_t state, const char *vhost, int channel_max, int frame_max, int heartbeat,
    const amqp_table_t *client_properties, const char *user, const char *password) {
    return amqp_login_with_properties(state, vhost, channel_max, frame_max, heartbeat, client_properties,
                                      AMQP_SASL_METHOD_PLAIN, user, password);
}

/// Reads the method id out of a method frame (a union member in C).
static inline amqp_method_number_t talent_amqp_frame_method_id(const amqp_frame_t *frame) {
    return frame->payload.method.id;
}
static inline void *talent_amqp_frame_method_decoded(const amqp_frame_t *frame) {
    return frame->payload.method.decoded;
}
#endif
