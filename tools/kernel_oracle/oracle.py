#!/usr/bin/python3
"""Kernel oracle: runs the probe traces in a real Linux kernel under qemu and
compares every deterministic observable with the reference.

    tools/kernel_oracle/oracle.py                    # check: kernel vs golden vs reference
    tools/kernel_oracle/oracle.py --update-golden    # rewrite the golden files
    tools/kernel_oracle/oracle.py --traces T.txt...  # ad-hoc traces, kernel vs reference

Steps: install the Debian packages it needs (kernel image and headers, qemu,
busybox-static, the compiler); generate a kernel module from the traces
(tracegen.py + module/kmem_oracle.c) and build it against the kernel's
headers; pack it into an initramfs whose init loads it and dumps the
kmalloc caches' /sys/kernel/slab geometry; boot the kernel with slab_nomerge
once per CPU count (qemu TCG); parse the results; compare them with the
committed golden files and with `replay --json` on the matching profile.

Exit status: 0 everything agrees; 1 a disagreement (kernel vs reference, or a
fresh kernel run vs the golden files); 2 the oracle could not run (the message
says what failed).
"""

import argparse
import gzip
import lzma
import os
import re
import shutil
import stat
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import probes as probe_set  # noqa: E402
import results  # noqa: E402
import tracegen  # noqa: E402

REPO = os.path.dirname(os.path.dirname(HERE))
DEFAULT_PROBES = os.path.join(REPO, "conformance", "kernel", "probes")
DEFAULT_GOLDEN = os.path.join(REPO, "conformance", "kernel", "golden")
# Things that change what the kernel does are named in the golden header;
# slab_nomerge keeps every cache (ours and kmalloc-*) apart, with its own
# /sys/kernel/slab directory.
BOOT_OPTIONS = "console=ttyS0 slab_nomerge panic=-1 quiet"
MEMORY_MB = 1024      # the reference profile's memory (DMA 16 + DMA32 496 + Normal 512 MiB)
# Host packages (kernel packages are added from the options). gcc and make
# build the module; kmod is what modprobe-style tools need on the host side.
HOST_PACKAGES = ["qemu-system-x86", "busybox-static", "make", "gcc", "kmod"]


def show(path):
    """A path as the user would type it: relative inside the repository."""
    rel = os.path.relpath(path, REPO)
    return path if rel.startswith("..") else rel


def cpu_word(n):
    return "%d CPU%s" % (n, "" if n == 1 else "s")


def log(msg):
    print("kernel-oracle: %s" % msg, flush=True)


def die(msg):
    print("kernel-oracle: error: %s" % msg, file=sys.stderr, flush=True)
    sys.exit(2)


def run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, **kw)


# ---- packages ----

def installed(pkg):
    p = run(["dpkg-query", "-W", "-f=${Status}", pkg])
    return p.returncode == 0 and p.stdout.strip() == "install ok installed"


def ensure_packages(pkgs):
    missing = [p for p in pkgs if not installed(p)]
    if not missing:
        return
    log("installing %s" % " ".join(missing))
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n", "--preserve-env=DEBIAN_FRONTEND,INITRD"]
    # INITRD=No: a kernel image package would otherwise build an initrd for
    # booting this machine (a minute of work the oracle never uses).
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive", INITRD="No")
    for cmd in (["apt-get", "-q", "update"],
                ["apt-get", "-q", "-y", "install", "--no-install-recommends"] + missing):
        p = subprocess.run(sudo + cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           universal_newlines=True, env=env, stdin=subprocess.DEVNULL)
        if p.returncode != 0:
            die("%s failed:\n%s" % (" ".join(cmd), p.stdout[-4000:]))
    still = [p for p in missing if not installed(p)]
    if still:
        die("packages did not install: %s" % " ".join(still))


def package_files(pkg):
    p = run(["dpkg", "-L", pkg])
    return p.stdout.splitlines() if p.returncode == 0 else []


def resolve_kernel(image_pkg):
    """(package, release, vmlinuz path) of an installed kernel image package,
    following a metapackage (linux-image-amd64) to the image it depends on."""
    seen = set()
    pkg = image_pkg
    while pkg not in seen:
        seen.add(pkg)
        for f in package_files(pkg):
            m = re.match(r"^/boot/vmlinuz-(.+)$", f)
            if m:
                return pkg, m.group(1), f
        deps = run(["dpkg-query", "-W", "-f=${Depends}", pkg]).stdout
        nxt = [d.strip().split()[0] for d in deps.split(",") if d.strip().startswith("linux-image-")]
        if not nxt:
            break
        pkg = nxt[0]
    die("package %s installs no /boot/vmlinuz-*; name a Debian kernel image package "
        "(e.g. linux-image-amd64 or linux-image-6.1.0-57-amd64)" % image_pkg)


def package_version(pkg):
    return run(["dpkg-query", "-W", "-f=${Version}", pkg]).stdout.strip()


# ---- the module ----

def build_module(traces, release, workdir):
    """traces: [(file label, text)]. Returns the path of kmem_oracle.ko."""
    parsed = []
    for label, text in traces:
        try:
            parsed.append((label, tracegen.parse(text, label)))
        except tracegen.TraceError as e:
            die(str(e))
    try:
        header = tracegen.generate_header(parsed)
    except tracegen.TraceError as e:
        die(str(e))
    mdir = os.path.join(workdir, "module")
    os.makedirs(mdir, exist_ok=True)
    shutil.copy(os.path.join(HERE, "module", "kmem_oracle.c"), mdir)
    with open(os.path.join(mdir, "ko_ops.h"), "w") as f:
        f.write(header)
    with open(os.path.join(mdir, "Kbuild"), "w") as f:
        f.write("obj-m := kmem_oracle.o\n")
    kdir = "/lib/modules/%s/build" % release
    if not os.path.exists(os.path.join(kdir, "Makefile")):
        die("no kernel headers at %s: install the headers package for %s" % (kdir, release))
    p = run(["make", "-C", kdir, "M=" + mdir, "modules"])
    ko = os.path.join(mdir, "kmem_oracle.ko")
    if p.returncode != 0 or not os.path.exists(ko):
        die("building the module failed:\n%s" % p.stdout[-6000:])
    return ko, sum(len(ops) for _, ops in parsed)


# ---- the initramfs ----

INIT = r"""#!/bin/sh
# kernel oracle guest: load the probe module, send its records and the
# kmalloc caches' geometry (gzipped) to the second serial port, power off. The
# "stage" lines on the console time each step (guest uptime).
export PATH=/bin
stage() { read up idle < /proc/uptime; echo "kernel-oracle stage: $1 at $up s"; }
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
stage init
# A raw line, so gzip's bytes pass unchanged; compressed, the records
# cross the emulated UART some ten times faster.
stty -F /dev/ttyS1 raw -echo
{
  echo "{\"cmdline\": \"$(cat /proc/cmdline)\"}"
  if insmod /kmem_oracle.ko; then
    stage probes-run >/dev/console
    cat /proc/kmem_oracle
  else
    echo '{"error": "insmod kmem_oracle.ko failed (the console log says why)"}'
  fi
  stage records-sent >/dev/console
  for d in /sys/kernel/slab/*kmalloc-*; do
    read o < $d/object_size; read s < $d/slab_size; read a < $d/align
    read r < $d/order; read n < $d/objs_per_slab
    echo "{\"cache\": \"${d##*/}\", \"object_size\": $o, \"size\": $s, \"align\": $a, \"order\": $r, \"objects\": $n}"
  done
  echo '{"done": true}'
} | gzip > /dev/ttyS1
stage done
poweroff -f
"""

APPLETS = ["sh", "mount", "insmod", "cat", "poweroff", "stty", "gzip"]


def cpio_newc(entries):
    """An uncompressed newc archive (what the kernel unpacks as initramfs).
    entries: (name, mode, data bytes, (rdev major, minor))."""
    out = bytearray()

    def pad():
        out.extend(b"\0" * (-len(out) % 4))
    for ino, (name, mode, data, rdev) in enumerate(entries + [("TRAILER!!!", 0, b"", (0, 0))], 1):
        namez = name.encode() + b"\0"
        fields = [ino, mode, 0, 0, 2 if stat.S_ISDIR(mode) else 1, 0, len(data), 0, 0,
                  rdev[0], rdev[1], len(namez), 0]
        out += b"070701" + "".join("%08X" % v for v in fields).encode() + namez
        pad()
        out += data
        pad()
    return bytes(out)


def build_initramfs(ko, workdir):
    busybox = shutil.which("busybox", path="/bin:/usr/bin")
    if not busybox:
        die("busybox not found (package busybox-static)")
    with open(busybox, "rb") as f:
        bb = f.read()
    with open(ko, "rb") as f:
        kod = f.read()
    d, x, r = stat.S_IFDIR | 0o755, stat.S_IFREG | 0o755, stat.S_IFREG | 0o644
    entries = [("bin", d, b"", (0, 0)), ("dev", d, b"", (0, 0)), ("proc", d, b"", (0, 0)),
               ("sys", d, b"", (0, 0)),
               # the kernel opens /dev/console for init before devtmpfs exists
               ("dev/console", stat.S_IFCHR | 0o600, b"", (5, 1)),
               ("bin/busybox", x, bb, (0, 0)), ("init", x, INIT.encode(), (0, 0)),
               ("kmem_oracle.ko", r, kod, (0, 0))]
    entries += [("bin/" + a, stat.S_IFLNK | 0o777, b"busybox", (0, 0)) for a in APPLETS]
    path = os.path.join(workdir, "initramfs.cpio.gz")
    with gzip.open(path, "wb", compresslevel=1) as f:
        f.write(cpio_newc(entries))
    return path


# ---- booting ----

XEN_ELFNOTE_PHYS32_ENTRY = 18


def has_pvh_entry(elf):
    """Whether an x86-64 ELF kernel carries the PVH entry note qemu boots."""
    if elf[:4] != b"\x7fELF" or elf[4] != 2:
        return False
    phoff, = struct.unpack_from("<Q", elf, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", elf, 0x36)
    for i in range(phnum):
        ptype, _, off, _, _, filesz = struct.unpack_from("<IIQQQQ", elf, phoff + i * phentsize)
        if ptype != 4:           # PT_NOTE
            continue
        pos, end = off, off + filesz
        while pos + 12 <= end:
            namesz, descsz, ntype = struct.unpack_from("<III", elf, pos)
            name = elf[pos + 12:pos + 12 + namesz].rstrip(b"\0")
            if name == b"Xen" and ntype == XEN_ELFNOTE_PHYS32_ENTRY:
                return True
            pos += 12 + (namesz + 3) // 4 * 4 + (descsz + 3) // 4 * 4
    return False


def pvh_kernel(vmlinuz, workdir):
    """The ELF kernel inside an xz-compressed bzImage, when it has a PVH
    entry: qemu then starts it directly, skipping the firmware and the
    decompression under emulation (~15 s per boot). None otherwise."""
    with open(vmlinuz, "rb") as f:
        image = f.read()
    start = image.find(b"\xfd7zXZ\x00")
    if start < 0:
        return None
    try:
        elf = lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(image[start:])
    except lzma.LZMAError:
        return None
    if not has_pvh_entry(elf):
        return None
    path = os.path.join(workdir, "vmlinux")
    with open(path, "wb") as f:
        f.write(elf)
    return path

def boot(kernel, initramfs, cpus, workdir, timeout, slub_debug=""):
    """Boots one guest; returns (the data port's text, seconds, qemu argv)."""
    console = os.path.join(workdir, "console-cpus%d.log" % cpus)
    data = os.path.join(workdir, "data-cpus%d.txt" % cpus)
    qemu_opts = ["-accel", "tcg", "-m", str(MEMORY_MB), "-smp", str(cpus)]
    cmd = (["qemu-system-x86_64"] + qemu_opts +
           ["-nodefaults", "-display", "none", "-no-reboot",
            "-kernel", kernel, "-initrd", initramfs, "-append", BOOT_OPTIONS + (" slub_debug=" + slub_debug if slub_debug else ""),
            "-serial", "file:" + console, "-serial", "file:" + data])
    t0 = time.time()
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           universal_newlines=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        die("the %d-CPU guest did not power off within %d s; console log %s ends:\n%s"
            % (cpus, timeout, console, tail(console)))
    secs = time.time() - t0
    if p.returncode != 0:
        die("qemu exited with %d: %s\nconsole log %s ends:\n%s"
            % (p.returncode, p.stdout.strip(), console, tail(console)))
    with open(data, "rb") as f:
        raw = f.read()
    try:
        text = gzip.decompress(raw).decode(errors="replace")
    except (OSError, EOFError) as e:
        die("the %d-CPU guest's output (%s, %d bytes) is not a complete gzip stream (%s); "
            "console log %s ends:\n%s" % (cpus, data, len(raw), e, console, tail(console)))
    with open(console, errors="replace") as f:
        stages = re.findall(r"kernel-oracle stage: ([a-z-]+) at ([0-9.]+) s", f.read())
    return text, secs, " ".join(qemu_opts), stages


def tail(path, n=40):
    try:
        with open(path, errors="replace") as f:
            return "\n".join(f.read().splitlines()[-n:])
    except OSError:
        return "(no console log)"


# ---- main ----

def replay_binary(args):
    if args.replay:
        return args.replay
    log("building //fuzz:replay")
    p = run(["bazel", "build", "//fuzz:replay"], cwd=REPO)
    if p.returncode != 0:
        die("bazel build //fuzz:replay failed:\n%s" % p.stdout[-4000:])
    return os.path.join(REPO, "bazel-bin", "fuzz", "replay")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cpus", default="1,4", help="CPU counts to boot with (default 1,4)")
    ap.add_argument("--kernel-package", default="linux-image-amd64",
                    help="Debian kernel image package (default linux-image-amd64)")
    ap.add_argument("--headers-package",
                    help="its headers package (default: the image's name with linux-headers-)")
    ap.add_argument("--profile", default="linux-6.1-x86_64", help="reference profile to compare with")
    ap.add_argument("--probes", default=DEFAULT_PROBES, help="probe trace directory")
    ap.add_argument("--golden", default=DEFAULT_GOLDEN, help="golden file directory")
    ap.add_argument("--update-golden", action="store_true",
                    help="write the kernel's results as the new golden files")
    ap.add_argument("--traces", nargs="+", metavar="TRACE",
                    help="run these trace files instead of the probe set (no golden files)")
    ap.add_argument("--replay", help="replay binary (default: bazel build //fuzz:replay)")
    ap.add_argument("--work", help="keep the module, initramfs and logs here (default: a temp dir)")
    ap.add_argument("--timeout", type=int, default=900, help="seconds per boot (default 900)")
    ap.add_argument("--no-install", action="store_true", help="do not apt-get install anything")
    ap.add_argument("--slub-debug", default="", metavar="LETTERS",
                    help="boot the kernel with slub_debug=LETTERS and replay the reference with "
                         "the same setting (golden files get a .slub_debug-LETTERS suffix)")
    ap.add_argument("--show", type=int, default=200, help="disagreements to list per run (default 200)")
    args = ap.parse_args(argv)
    try:
        cpu_list = [int(c) for c in args.cpus.split(",")]
        if not cpu_list or any(c < 1 or c > 64 for c in cpu_list):
            raise ValueError
    except ValueError:
        die("--cpus takes CPU counts between 1 and 64, comma-separated, got '%s'" % args.cpus)

    t_start = time.time()
    headers_pkg = args.headers_package
    if not headers_pkg:
        if not args.kernel_package.startswith("linux-image-"):
            die("cannot guess the headers package of %s: give --headers-package" % args.kernel_package)
        headers_pkg = "linux-headers-" + args.kernel_package[len("linux-image-"):]
    if not args.no_install:
        ensure_packages(HOST_PACKAGES + [args.kernel_package, headers_pkg])
    image_pkg, release, vmlinuz = resolve_kernel(args.kernel_package)
    log("kernel %s (%s %s)" % (release, image_pkg, package_version(image_pkg)))

    if args.traces:
        files = []
        for path in args.traces:
            try:
                with open(path) as f:
                    files.append((os.path.basename(path), f.read()))
            except OSError as e:
                die("cannot read %s: %s" % (path, e))
        if len({n for n, _ in files}) != len(files):
            die("trace file names must be distinct")
        probe_dir = None
    else:
        probe_dir = args.probes
        wanted = dict(probe_set.build())
        try:
            on_disk = sorted(f for f in os.listdir(probe_dir) if f.endswith(".txt"))
        except OSError as e:
            die("cannot list the probe directory: %s" % e)
        if on_disk != sorted(wanted) or any(open(os.path.join(probe_dir, n)).read() != wanted[n]
                                            for n in on_disk):
            die("%s is not what tools/kernel_oracle/probes.py generates: run "
                "`tools/kernel_oracle/probes.py %s` and commit it" % (probe_dir, probe_dir))
        # the families of the profile's kernel (an API one kernel lacks
        # has its own probe files)
        files = [(n, wanted[n]) for n in probe_set.files_for(probe_dir, args.profile)]

    workdir = args.work or tempfile.mkdtemp(prefix="kernel-oracle-")
    os.makedirs(workdir, exist_ok=True)
    replay = replay_binary(args)
    tdir = probe_dir
    if tdir is None:
        tdir = os.path.join(workdir, "traces")
        os.makedirs(tdir, exist_ok=True)
        for n, text in files:
            with open(os.path.join(tdir, n), "w") as f:
                f.write(text)
    # The reference first: its parser is the one of record, so an invalid
    # trace stops here with its message instead of after a boot.
    refs = {}
    for cpus in cpu_list:
        try:
            refs[cpus] = results.run_reference(replay, tdir, [n for n, _ in files], args.profile, cpus,
                                                 args.slub_debug)
        except results.OracleError as e:
            die(str(e))

    t0 = time.time()
    ko, nops = build_module(files, release, workdir)
    initramfs = build_initramfs(ko, workdir)
    boot_image = pvh_kernel(vmlinuz, workdir) or vmlinuz
    log("module with %d operations from %d trace files built in %.1f s; booting %s (work dir %s)"
        % (nops, len(files), time.time() - t0,
           "the PVH entry" if boot_image != vmlinuz else "the bzImage", workdir))

    status = 0
    summary = []
    for cpus in cpu_list:
        text, secs, qemu, stages = boot(boot_image, initramfs, cpus, workdir, args.timeout,
                                          args.slub_debug)
        try:
            fresh = results.parse_guest(text)
        except results.OracleError as e:
            die("%s: %s (data in %s/data-cpus%d.txt, console log %s/console-cpus%d.log)"
                % (cpu_word(cpus), e, workdir, cpus, workdir, cpus))
        fresh["header"].update(package="%s %s" % (image_pkg, package_version(image_pkg)),
                               qemu=qemu, profile=args.profile)
        log("%s: guest ran in %.1f s (kernel %s, %d online); guest uptime at %s"
            % (cpu_word(cpus), secs, fresh["header"].get("kernel"), fresh["header"].get("cpus"),
               ", ".join("%s %s s" % st for st in stages)))
        if fresh["header"].get("cpus") != cpus:
            die("the guest has %s CPUs online, expected %d" % (fresh["header"].get("cpus"), cpus))

        if probe_dir is not None:
            gpath = results.golden_path(args.golden, args.profile, cpus, args.slub_debug)
            if args.update_golden:
                os.makedirs(args.golden, exist_ok=True)
                with open(gpath, "w") as f:
                    f.write(results.format_golden(fresh))
                log("wrote %s" % show(gpath))
            elif not os.path.exists(gpath):
                log("no golden file %s: run with --update-golden" % gpath)
                status = 1
            else:
                golden = results.read_golden(gpath)
                if golden["header"].get("kernel") != fresh["header"].get("kernel"):
                    log("note: the golden file is from kernel %s, this run is %s"
                        % (golden["header"].get("kernel"), fresh["header"].get("kernel")))
                diff = results.diff_results(fresh, golden)
                if diff:
                    status = 1
                    log("%s: the kernel's fresh results differ from %s:"
                        % (cpu_word(cpus), show(gpath)))
                    for line in diff[:200]:
                        print("  " + line)
                else:
                    log("%s: fresh results match %s" % (cpu_word(cpus), show(gpath)))

        ref = refs[cpus]
        fams, bad = results.compare(fresh, ref, tdir)
        agree, total = results.report(fams, bad, "kernel %s vs reference %s%s, %s"
                                      % (fresh["header"].get("kernel"), args.profile,
                                         " slub_debug=" + args.slub_debug if args.slub_debug else "",
                                         cpu_word(cpus)), limit=args.show)
        for name, finding in sorted(ref.get("findings", {}).items()):
            print("  reference finding in %s:\n    %s" % (name, finding.replace("\n", "\n    ")))
        if bad or ref.get("findings"):
            status = 1
        summary.append("%s: %d/%d agree, guest %.1f s" % (cpu_word(cpus), agree, total, secs))
    log("; ".join(summary) + "; whole run %.1f s" % (time.time() - t_start))
    if not args.work and status == 0:
        shutil.rmtree(workdir, ignore_errors=True)   # kept when something failed
    elif status:
        log("logs and build products are in %s" % workdir)
    return status


if __name__ == "__main__":
    sys.exit(main())
