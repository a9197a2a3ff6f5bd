"""Run a command under systemd's MemoryDenyWriteExecute= rules (a seccomp filter), for tests.

systemd (v252, seccomp-util.c) refuses mmap() with PROT_WRITE|PROT_EXEC and mprotect() /
pkey_mprotect() with PROT_EXEC. This installs the same filter, proves it bites, then execs
``argv`` (seccomp filters survive execve and are inherited by every child process):

    python -m tests.ops.wx python -m gateway.cli --config config.yaml run
"""

from __future__ import annotations

import ctypes
import errno
import mmap
import os
import platform
import sys

# (audit arch, mmap, mprotect, pkey_mprotect) per machine
ARCHES = {"x86_64": (0xC000003E, 9, 10, 329), "aarch64": (0xC00000B7, 222, 226, 288)}
LD_ABS, JEQ, JSET, AND, RET = 0x20, 0x15, 0x45, 0x54, 0x06
ALLOW, DENY = 0x7FFF0000, 0x00050000 | errno.EPERM  # SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO
NR, ARCH, ARG2 = 0, 4, 32  # offsets in struct seccomp_data (args[2], low half)
PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2


class SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte),
                ("k", ctypes.c_uint32)]


class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(SockFilter))]


def program(arch: int, nr_mmap: int, nr_mprotect: int, nr_pkey: int) -> list[tuple[int, ...]]:
    """(code, jt, jf, k); jumps count the instructions skipped after the current one."""
    w_x = mmap.PROT_WRITE | mmap.PROT_EXEC
    return [
        (LD_ABS, 0, 0, ARCH),                 # 0
        (JEQ, 0, 9, arch),                    # 1  other arch -> 11 allow
        (LD_ABS, 0, 0, NR),                   # 2
        (JEQ, 0, 3, nr_mmap),                 # 3  not mmap -> 7
        (LD_ABS, 0, 0, ARG2),                 # 4  prot
        (AND, 0, 0, w_x),                     # 5
        (JEQ, 5, 4, w_x),                     # 6  write+exec -> 12 deny, else 11 allow
        (JEQ, 1, 0, nr_mprotect),             # 7  mprotect -> 9
        (JEQ, 0, 2, nr_pkey),                 # 8  pkey_mprotect -> 9, else 11 allow
        (LD_ABS, 0, 0, ARG2),                 # 9  prot
        (JSET, 1, 0, mmap.PROT_EXEC),         # 10 exec -> 12 deny, else 11 allow
        (RET, 0, 0, ALLOW),                   # 11
        (RET, 0, 0, DENY),                    # 12
    ]


def deny_write_execute() -> None:
    """Install the filter on this process (and everything it execs or forks)."""
    machine = platform.machine()
    if machine not in ARCHES:
        raise SystemExit(f"wx: no syscall numbers for {machine}")
    libc = ctypes.CDLL(None, use_errno=True)
    code = program(*ARCHES[machine])
    filters = (SockFilter * len(code))(*[SockFilter(*c) for c in code])
    prog = SockFprog(len(code), filters)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP)")


def proves_it_bites() -> None:
    """Both forbidden operations must now fail with EPERM, or the test proves nothing."""
    try:
        mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    except PermissionError:
        pass
    else:
        raise SystemExit("wx: a writable+executable mapping was allowed")
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                          ctypes.c_int, ctypes.c_long]
    libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    page = libc.mmap(None, mmap.PAGESIZE, mmap.PROT_READ | mmap.PROT_WRITE,
                     mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS, -1, 0)
    if libc.mprotect(page, mmap.PAGESIZE, mmap.PROT_READ | mmap.PROT_EXEC) == 0:
        raise SystemExit("wx: mprotect(PROT_EXEC) was allowed")
    if ctypes.get_errno() != errno.EPERM:
        raise SystemExit(f"wx: mprotect failed with errno {ctypes.get_errno()}, not EPERM")


if __name__ == "__main__":
    deny_write_execute()
    proves_it_bites()
    print("wx: filter installed", file=sys.stderr, flush=True)
    os.execvp(sys.argv[1], sys.argv[1:])
