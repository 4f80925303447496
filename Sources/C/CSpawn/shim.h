#ifndef TALENT_CSPAWN_SHIM_H
#define TALENT_CSPAWN_SHIM_H
// Process plumbing the Swift Glibc module cannot express: glibc (2.34+) declares
// posix_spawn_file_actions_addclosefrom_np only under __USE_MISC, which the module is built without;
// SCM_RIGHTS needs the CMSG_* macros; prctl and the pidfd_open system call are variadic.
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <spawn.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int from);
// Also under __USE_MISC: closes every descriptor from `from` up.
extern void closefrom(int from);

/// The most descriptors one message carries.
#define TALENT_MAX_PASSED_DESCRIPTORS 4

/// Sends `length` bytes and `count` descriptors (at most TALENT_MAX_PASSED_DESCRIPTORS) as one
/// message on a Unix socket, without SIGPIPE and without blocking (EAGAIN when the socket is full).
/// Returns sendmsg's result (-1 with errno on failure).
static inline ssize_t talent_send_with_descriptors(int socket, const void *data, size_t length, const int *descriptors,
                                                   int count) {
    if (count < 0 || count > TALENT_MAX_PASSED_DESCRIPTORS) {
        errno = EINVAL;
        return -1;
    }
    union {
        struct cmsghdr header;
        char space[CMSG_SPACE(sizeof(int) * TALENT_MAX_PASSED_DESCRIPTORS)];
    } control;
    memset(&control, 0, sizeof(control));
    struct iovec vector = {.iov_base = (void *)data, .iov_len = length};
    struct msghdr message = {.msg_iov = &vector, .msg_iovlen = 1};
    if (count > 0) {
        message.msg_control = control.space;
        message.msg_controllen = CMSG_SPACE(sizeof(int) * count);
        struct cmsghdr *header = CMSG_FIRSTHDR(&message);
        header->cmsg_level = SOL_SOCKET;
        header->cmsg_type = SCM_RIGHTS;
        header->cmsg_len = CMSG_LEN(sizeof(int) * count);
        memcpy(CMSG_DATA(header), descriptors, sizeof(int) * count);
    }
    return sendmsg(socket, &message, MSG_NOSIGNAL | MSG_DONTWAIT);
}

/// Receives one message of at most `capacity` bytes and up to `capacity_descriptors` descriptors
/// (received close-on-exec). `*received` is set to the number of descriptors; a message or
/// descriptor list cut short sets `*truncated` to 1 (its descriptors are still returned, to close).
/// Returns recvmsg's result: 0 at end of stream, -1 with errno on failure.
static inline ssize_t talent_receive_with_descriptors(int socket, void *data, size_t capacity, int *descriptors,
                                                      int capacity_descriptors, int *received, int *truncated) {
    union {
        struct cmsghdr header;
        char space[CMSG_SPACE(sizeof(int) * TALENT_MAX_PASSED_DESCRIPTORS)];
    } control;
    memset(&control, 0, sizeof(control));
    struct iovec vector = {.iov_base = data, .iov_len = capacity};
    struct msghdr message = {.msg_iov = &vector, .msg_iovlen = 1, .msg_control = control.space,
                             .msg_controllen = sizeof(control.space)};
    *received = 0;
    *truncated = 0;
    ssize_t result = recvmsg(socket, &message, MSG_CMSG_CLOEXEC);
    if (result < 0) return result;
    if (message.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) *truncated = 1;
    for (struct cmsghdr *header = CMSG_FIRSTHDR(&message); header != NULL; header = CMSG_NXTHDR(&message, header)) {
        if (header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS) continue;
        int count = (int)((header->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        for (int index = 0; index < count; index++) {
            int descriptor;
            memcpy(&descriptor, CMSG_DATA(header) + sizeof(int) * index, sizeof(int));
            if (*received < capacity_descriptors) {
                descriptors[(*received)++] = descriptor;
            } else {
                close(descriptor);
                *truncated = 1;
            }
        }
    }
    return result;
}

/// A descriptor that becomes readable when process `pid` ends (Linux 5.3+), or -1 with errno.
static inline int talent_pidfd_open(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }

/// Asks the kernel to send `signal` to this process when the thread that forked it ends.
static inline int talent_set_parent_death_signal(int signal) { return prctl(PR_SET_PDEATHSIG, signal, 0, 0, 0); }

/// Spawn attributes that give the child every signal's default action and an empty signal mask
/// (nothing the spawning thread ignored or blocked is inherited). Returns 0 or an errno.
static inline int talent_spawnattr_reset_signals(posix_spawnattr_t *attributes) {
    sigset_t all, none;
    sigfillset(&all);
    sigemptyset(&none);
    int result = posix_spawnattr_setsigdefault(attributes, &all);
    if (result == 0) result = posix_spawnattr_setsigmask(attributes, &none);
    if (result == 0) result = posix_spawnattr_setflags(attributes, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    return result;
}

/// Waits for child `pid` (retrying on EINTR); `*cpu_milliseconds` gets its user + system CPU time.
/// Returns wait4's result.
static inline pid_t talent_wait_child(pid_t pid, int *status, unsigned int *cpu_milliseconds) {
    struct rusage usage;
    memset(&usage, 0, sizeof usage);
    pid_t result;
    do {
        result = wait4(pid, status, 0, &usage);
    } while (result < 0 && errno == EINTR);
    long long micro = (long long)(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000000LL + usage.ru_utime.tv_usec
                      + usage.ru_stime.tv_usec;
    *cpu_milliseconds = (unsigned int)(micro / 1000);
    return result;
}

/// Forbids this process from ever starting another (fork, vfork, clone, clone3, execve, execveat fail
/// with EPERM) with a seccomp filter, after PR_SET_NO_NEW_PRIVS. An inspection child calls it before
/// it parses anything: a parser taken over cannot leave processes behind that outlive its limits.
/// Returns 0, or -1 with errno.
static inline int talent_forbid_new_processes(void) {
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_fork, 5, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_vfork, 4, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone, 3, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone3, 2, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_execve, 1, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_execveat, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog program = {.len = (unsigned short)(sizeof filter / sizeof filter[0]), .filter = filter};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -1;
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program, 0, 0);
}
#endif
