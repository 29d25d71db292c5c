import CProbe
#if canImport(Glibc)
import Glibc
#endif

/// A short-lived helper program run to its end with a bound (`wg show`): `posix_spawn`, its
/// standard output read through a pipe, standard input and error on /dev/null, killed when it
/// outlasts `timeoutMilliseconds`. Blocking: call it on a thread of its own.
package enum ChildProcess {
    /// What the program printed (at most `limit` bytes) and its exit status; `nil` when it could
    /// not be started, was killed at the bound, or died of a signal.
    package static func run(_ path: String, _ arguments: [String], timeoutMilliseconds: Int = 2_000, limit: Int = 65_536) -> (status: Int32, output: [UInt8])? {
        var pipeEnds: [Int32] = [-1, -1]
        guard cprobe_pipe_cloexec(&pipeEnds) == 0 else { return nil }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, nil, argv, environ)
        close(pipeEnds[1])
        guard spawned == 0 else {
            close(pipeEnds[0])
            return nil
        }
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4_096)
        func milliseconds() -> Int {
            var time = timespec()
            clock_gettime(CLOCK_MONOTONIC, &time)
            return Int(time.tv_sec) * 1_000 + Int(time.tv_nsec) / 1_000_000
        }
        let deadline = milliseconds() + max(1, timeoutMilliseconds)
        var killed = false
        while true {
            let now = milliseconds()
            guard now < deadline else {
                kill(pid, SIGKILL)
                killed = true
                break
            }
            var poll = pollfd(fd: pipeEnds[0], events: Int16(POLLIN), revents: 0)
            let ready = Glibc.poll(&poll, 1, Int32(max(1, min(deadline - now, 1_000))))
            if ready < 0, errno == EINTR { continue }
            guard ready > 0 else { continue }
            let count = read(pipeEnds[0], &buffer, buffer.count)
            if count < 0, errno == EINTR { continue }
            if count <= 0 { break }  // the end: the program closed its output (exited)
            output.append(contentsOf: buffer.prefix(min(count, max(0, limit - output.count))))
        }
        close(pipeEnds[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        // WIFEXITED / WEXITSTATUS, spelled out (the C macros are not imported).
        guard !killed, status & 0x7F == 0 else { return nil }
        return ((status >> 8) & 0xFF, output)
    }
}
