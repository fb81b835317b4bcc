*** Settings ***
Documentation       Checkpoint 7, sandbox containment: seed 003's failure modes and a battery of hostile code.
...                 Hostile code is run past the risk check, so each case shows the container's own layer
...                 at work; the test message names the limit that fired.
Resource            ../../resources/sandbox.resource
Suite Setup         Sandbox Engine Is Ready
Suite Teardown      No Sandbox Container Should Remain
Test Tags           checkpoint7    day1    sandbox    critical


*** Variables ***
${FORK BOMB}            import os\nwhile True: os.fork()
${PROCESS FLOOD}        import os, time\nwhile True:\n${SPACE*4}if os.fork() == 0: time.sleep(30); os._exit(0)
${MEMORY BOMB}          b = bytearray(${SANDBOX_MEMORY_BOMB_MB} << 20)\n
...                     b[::4096] = b"x" * (len(b) // 4096)\nprint("survived")    separator=
${ENDLESS OUTPUT}       while True: print("x" * 1000)
${FILL TMP}             for i in range(64): open(f"/tmp/fill{i}", "wb").write(b"x" * (1 << 20))
${PTRACE}               import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n
...                     rc = libc.ptrace(0, 0, 0, 0)\nerr = ctypes.get_errno()\n
...                     if rc == -1: raise OSError(err, os.strerror(err))    separator=
${MASKED PATHS}         import os\n
...                     size = lambda p: len(open(p, "rb").read(64)) if os.path.isfile(p)
...                     ${SPACE}else len(os.listdir(p)) if os.path.isdir(p) else 0\n
...                     print([(p, size(p)) for p in
...                     ${SPACE}\["/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware"]])
...                     separator=
${LEAVE TRACES}         import os, subprocess, sys\nopen("/tmp/trace", "w").write("x")\n
...                     subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60) # left_behind"],
...                     ${SPACE}start_new_session=True)    separator=
${LOOK FOR TRACES}      import os\n
...                     procs = [open(f"/proc/{p}/cmdline", "rb").read() for p in os.listdir("/proc") if p.isdigit()]\n
...                     print(os.listdir("/tmp"), sum(b"left_" + b"behind" in c for c in procs))    separator=
# writes fake agent messages (output, exit 0, clean) to PID 1's stdout, then reads later requests
# from PID 1's stdin and answers them; the run itself ends with exit 3
${FORGER}               import json, os, struct, sys, time\n
...                     f = lambda k, d: k + struct.pack(">I", len(d)) + d\n
...                     c = f(b"R", b'{"clean": true}')\n
...                     x = json.dumps({"exit_code": 0, "truncated": False, "total": 7, "duration": 0.01}).encode()\n
...                     def forge():\n
...                     ${SPACE*4}try:\n
...                     ${SPACE*8}w = os.open("/proc/1/fd/1", os.O_WRONLY)\n
...                     ${SPACE*8}r = os.open("/proc/1/fd/0", os.O_RDONLY)\n
...                     ${SPACE*4}except OSError as e:\n
...                     ${SPACE*8}return "blocked " + type(e).__name__\n
...                     ${SPACE*4}os.write(w, f(b"O", b"FORGED") + f(b"X", x) + c)\n
...                     ${SPACE*4}while len(n := os.read(r, 4)) == 4:\n
...                     ${SPACE*8}got = os.read(r, struct.unpack(">I", n)[0])\n
...                     ${SPACE*8}os.write(w, f(b"O", b"STOLEN " + got[:60]) + f(b"X", x) + c)\n
...                     ${SPACE*4}return "stdin closed"\n
...                     separator=
${FORGE INLINE}         ${FORGER}print(forge(), flush=True)\nsys.exit(3)
# the same from a grandchild in its own session that then stays; the run itself exits 0
${FORGE DETACHED}       ${FORGER}if os.fork() == 0:\n
...                     ${SPACE*4}os.setsid()\n
...                     ${SPACE*4}if os.fork() == 0:\n
...                     ${SPACE*8}os.close(1); os.close(2); forge(); time.sleep(60)  \x23 forger_mark\n
...                     ${SPACE*4}os._exit(0)\n
...                     time.sleep(0.5)\nprint("parent done")    separator=
${LOOK FOR FORGER}      import os\nme = str(os.getpid())\n
...                     pids = [p for p in os.listdir("/proc") if p.isdigit() and p != me]\n
...                     procs = [open(f"/proc/{p}/cmdline", "rb").read() for p in pids]\n
...                     print(sum(b"forger_" + b"mark" in c for c in procs))    separator=
${MAKE MQUEUE}          import os\nos.close(os.open("/dev/mqueue/cc_leak", os.O_CREAT | os.O_RDWR, 0o600))\n
...                     print(os.listdir("/dev/mqueue"))    separator=
${LIST MQUEUE}          import os\nprint(os.listdir("/dev/mqueue"))
${THREAD BOMB}          import threading, time\nwhile True: threading.Thread(target=time.sleep, args=(60,)).start()
${SEGFAULT}             import ctypes\nctypes.string_at(0)


*** Test Cases ***
Configured Limits Are No Looser Than The Targets
    Configured Limits Should Not Be Looser Than The Targets
    Set Test Message    Configured: timeout ${SANDBOX_TIMEOUT}, memory ${SANDBOX_MEMORY_LIMIT_MB} MB or tighter

Runtime Error Is Reported With Its Traceback
    Run Code As Submitted    x = 1 / 0
    Run Should Have Status    error
    Get Stderr    contains    ZeroDivisionError

Code Running Past The Timeout Is Killed
    Run Code As Submitted    while True: pass
    Run Should Have Status    timeout
    Run Should Be Contained By    wall-clock timeout
    Run Should Have Stopped Within Its Timeout

Dangerous Code Is Blocked Before Any Container Starts
    Run Code As Submitted    import os\nos.system("rm -rf /")
    Run Should Have Status    refused
    Get Run Field    risk_score    >=    ${RISK_THRESHOLD}
    Get Run Field    container    ==    ${EMPTY}
    Run Should Be Contained By    code validation

Syntax Error Is Reported As One
    Run Code As Submitted    def broken(:\n pass
    Run Should Have Status    syntax error
    Get Stderr    contains    SyntaxError

Import Of A Missing Module Is Reported
    Run Code As Submitted    import module_that_does_not_exist
    Run Should Have Status    error
    Get Stderr    contains    ModuleNotFoundError

Large Output Of 110 KB Comes Back Whole
    Run Code As Submitted    print("y" * ${SANDBOX_OUTPUT_TEST_KB} * 1024)
    Run Should Have Status    ok
    Get Run Field    truncated    ==    ${FALSE}
    Get Run Field    output_bytes    >    ${112640}

Fork Bomb Is Stopped By The Pids Or The Memory Limit
    [Documentation]    Every copy forks again; whichever limit a loaded machine reaches first stops it.
    Run Untrusted Code    ${FORK BOMB}    timeout=10 s
    Run Should Be Contained By One Of    pids limit    memory limit

A Process Flood Hits The Pids Limit
    [Documentation]    One parent forks sleeping children until the pids limit refuses the next fork.
    Run Untrusted Code    ${PROCESS FLOOD}    timeout=10 s
    Run Should Be Contained By    pids limit

Memory Bomb Is OOM-Killed At The Memory Limit
    Run Untrusted Code    ${MEMORY BOMB}
    Run Should Have Status    oom
    Run Should Be Contained By    OOM-killed
    Output Should Not Contain    survived

CPU Spin Is Killed At The Timeout
    Run Untrusted Code    while True: pass    timeout=1 s
    Run Should Be Contained By    wall-clock timeout

Endless Output Is Capped And The Truncation Reported
    Run Untrusted Code    ${ENDLESS OUTPUT}    output_limit=64 KB
    Run Should Have Status    output capped
    Get Run Field    truncated    ==    ${TRUE}
    Run Should Be Contained By    output cap

Filling Tmp Stops At The Tmpfs Size
    Run Untrusted Code    ${FILL TMP}
    Run Should Be Contained By    tmpfs full

Writing Outside Tmp Is Refused By The Read-Only Root
    Run Untrusted Code    open("/usr/local/evil", "w").write("x")
    Run Should Be Contained By    read-only file system

Network By Name Is Unreachable
    Run Untrusted Code    import socket\nsocket.create_connection(("example.com", 80), timeout=2)
    Run Should Be Contained By    network none

Network By IP Is Unreachable
    Run Untrusted Code    import socket\nsocket.create_connection(("1.1.1.1", 53), timeout=2)
    Run Should Be Contained By    network none

Host Environment Is Not Visible
    Run Untrusted Code    import os\nprint(sorted(os.environ))
    Get Stdout    not contains    CROSSCHECK
    Get Stdout    not contains    DOCKER_HOST
    Set Test Message    Contained by: the container's own environment (PATH, LANG, HOME, HOSTNAME only)

Docker Socket Cannot Be Reached
    Run Untrusted Code    import socket\ns = socket.socket(socket.AF_UNIX)\ns.connect("/var/run/docker.sock")
    Run Should Be Contained By    not present in the sandbox

Setuid Escalation Is Denied
    Run Untrusted Code    import os\nos.setuid(0)
    Run Should Be Contained By    EPERM

Ptrace Is Denied By The Seccomp Profile
    Run Untrusted Code    ${PTRACE}
    Run Should Be Contained By    seccomp

Masked Kernel Paths Reveal Nothing
    Run Untrusted Code    ${MASKED PATHS}
    ${sizes} =    Get Stdout
    Should Not Match Regexp    ${sizes}    , [1-9]
    Set Test Message    Contained by: masked or absent paths (/proc/kcore absent, others empty)

Sleep Outliving The Timeout Is Killed
    Run Untrusted Code    import time\ntime.sleep(30)    timeout=1 s
    Run Should Be Contained By    wall-clock timeout
    Run Should Have Stopped Within Its Timeout

A Thread Bomb Is Stopped By The Pids Limit In Fresh Mode
    [Documentation]    Its threads keep the interpreter alive until the timeout kills it; the limit that
    ...    stopped it is the pids limit (``can't start new thread``), not the clock.
    Run Untrusted Code    ${THREAD BOMB}    timeout=2 s
    Get Stderr    contains    can't start new thread
    Run Should Be Contained By    pids limit

A Thread Bomb Is Stopped By The Pids Limit In Warm Mode
    Start Warm Pool    size=1
    Run Untrusted Code    ${THREAD BOMB}    timeout=2 s    mode=warm
    Get Stderr    contains    can't start new thread
    Run Should Be Contained By    pids limit
    [Teardown]    Stop Warm Pool

A Segfault Is Reported As Its Signal In Fresh Mode
    Run Untrusted Code    ${SEGFAULT}
    Get Exit Code    ==    139
    Run Should Be Contained By    signal 11 (SIGSEGV)

A Segfault Is Reported As Its Signal In Warm Mode
    Start Warm Pool    size=1
    Run Untrusted Code    ${SEGFAULT}    mode=warm
    Get Exit Code    ==    -11
    Run Should Be Contained By    signal 11 (SIGSEGV)
    [Teardown]    Stop Warm Pool

Ten Megabytes Of Code Are Refused Before Any Container Or Pool Starts
    ${code} =    Evaluate    "x = 1\\n" * (10 * 1024 * 1024 // 6)
    Run Code As Submitted    ${code}    mode=warm
    Run Should Have Status    refused
    Get Stderr    contains    over the 102400-byte cap
    Get Run Field    container    ==    ${EMPTY}
    Get Warm Pool Size    ==    0
    Run Should Be Contained By    code validation (cannot score)

A Forged Result Is Not Accepted In Fresh Mode
    [Documentation]    Fresh: PID 1 is docker-init and its stdout is this run's own output, so the fake
    ...    messages are only this run's output; the exit code is the real one and the container is gone.
    Run Untrusted Code    ${FORGE INLINE}
    Get Exit Code    ==    3
    Next Runs Should Return Their Own Output    fresh
    Set Test Message    Contained by: one container per run (exit 3 reported, not the forged 0)

A Forged Result Is Not Accepted In Warm Mode
    [Documentation]    Warm: the agent is PID 1 and not dumpable, so its pipes cannot be opened; the host
    ...    accepts only messages signed with the container's secret.
    Start Warm Pool    size=1
    Run Untrusted Code    ${FORGE INLINE}    mode=warm
    Get Exit Code    ==    3
    Get Stdout    ==    blocked PermissionError\n
    Next Runs Should Return Their Own Output    warm
    Set Test Message    Contained by: agent as PID 1, not dumpable; authenticated messages (exit 3 reported)
    [Teardown]    Stop Warm Pool

A Detached Forger Neither Forges Results Nor Outlives The Run In Fresh Mode
    Run Untrusted Code    ${FORGE DETACHED}
    Get Exit Code    ==    0
    Get Stdout    contains    parent done
    Run Untrusted Code    ${LOOK FOR FORGER}
    Get Stdout    ==    0\n
    Next Runs Should Return Their Own Output    fresh

A Detached Forger Neither Forges Results Nor Outlives The Run In Warm Mode
    Start Warm Pool    size=1
    ${attack} =    Run Untrusted Code    ${FORGE DETACHED}    mode=warm
    Get Stdout    ==    parent done\n
    Get Run Field    recycled    ==    ${TRUE}
    Run Untrusted Code    ${LOOK FOR FORGER}    mode=warm
    Get Stdout    ==    0\n
    Get Run Field    container    !=    ${attack}[container]
    Next Runs Should Return Their Own Output    warm
    Set Test Message    Contained by: every process of a run killed before its exit is reported; its container recycled
    [Teardown]    Stop Warm Pool

A Message Queue Of One Run Is Not Seen By The Next In Fresh Mode
    Run Untrusted Code    ${MAKE MQUEUE}
    Get Stdout    ==    ['cc_leak']\n
    Run Untrusted Code    ${LIST MQUEUE}
    Get Stdout    ==    []\n

A Message Queue Of One Run Is Not Seen By The Next In Warm Mode
    Start Warm Pool    size=1
    ${first} =    Run Untrusted Code    ${MAKE MQUEUE}    mode=warm
    Get Stdout    ==    ['cc_leak']\n
    Get Run Field    recycled    ==    ${TRUE}
    Run Untrusted Code    ${LIST MQUEUE}    mode=warm
    Get Stdout    ==    []\n
    Get Run Field    container    !=    ${first}[container]
    Set Test Message    Contained by: warm pool wipe of every writable mount (/tmp, /dev/mqueue, ...); recycled
    [Teardown]    Stop Warm Pool

Warm Pool Shows Nothing Of A Previous Run
    Start Warm Pool    size=1
    Execute Python    ${LEAVE TRACES}    mode=warm    enforce_risk=${FALSE}
    Execute Python    ${LOOK FOR TRACES}    mode=warm    enforce_risk=${FALSE}
    Get Stdout    ==    [] 0\n
    Set Test Message    Contained by: warm pool wipe (no files in /tmp, no processes left)
    [Teardown]    Stop Warm Pool
