*** Settings ***
Documentation       Checkpoint 7, sandbox containment: seed 003's failure modes and a battery of hostile code.
...                 Hostile code is run past the risk check, so each case shows the container's own layer
...                 at work; the test message names the limit that fired.
Resource            ../../resources/sandbox.resource
Suite Setup         Sandbox Engine Is Ready
Suite Teardown      No Sandbox Container Should Remain
Test Tags           checkpoint7    day1    sandbox


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


*** Test Cases ***
Runtime Error Is Reported With Its Traceback
    Run Code As Submitted    x = 1 / 0
    Run Should Have Status    error
    Get Stderr    contains    ZeroDivisionError

Code Running Past The Timeout Is Killed
    Run Code As Submitted    while True: pass
    Run Should Have Status    timeout
    Run Should Be Contained By    wall-clock timeout
    Get Run Duration    <    10 s

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

Warm Pool Shows Nothing Of A Previous Run
    Start Warm Pool    size=1
    Execute Python    ${LEAVE TRACES}    mode=warm    enforce_risk=${FALSE}
    Execute Python    ${LOOK FOR TRACES}    mode=warm    enforce_risk=${FALSE}
    Get Stdout    ==    [] 0\n
    Set Test Message    Contained by: warm pool wipe (no files in /tmp, no processes left)
    [Teardown]    Stop Warm Pool
