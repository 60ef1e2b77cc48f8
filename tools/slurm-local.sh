#!/usr/bin/env bash
# A real one-node Slurm cluster on this machine, for `deepobs tune --executor slurm` in tests, CI
# and on a workstation. Needs Debian's slurm-wlm and munge (tools/install-deps.sh installs them)
# and root (the daemons run as root here; no systemd needed).
#
#   tools/slurm-local.sh start    write the config, start munged, slurmctld and slurmd, wait until
#                                 the node is idle, print the line to export
#   tools/slurm-local.sh stop     stop the daemons started by 'start' (by their pid files)
#   tools/slurm-local.sh status   sinfo of the cluster (exit 1 when it is not running)
#   tools/slurm-local.sh env      print 'export SLURM_CONF=...' (eval "$(tools/slurm-local.sh env)")
#
# Everything (config, munge key and socket, state, logs, pid files) lives in $DEEPOBS_SLURM_DIR,
# default /tmp/deepobs-slurm, never in the source tree. The client commands (sbatch, squeue, sinfo,
# sacct) find the cluster through SLURM_CONF=$DEEPOBS_SLURM_DIR/slurm.conf. The node gets the
# CPUs and memory that `slurmd -C` reports. No accounting database: sacct says so, squeue works.
set -euo pipefail
dir=${DEEPOBS_SLURM_DIR:-/tmp/deepobs-slurm}
conf="$dir/slurm.conf"
export SLURM_CONF="$conf"

die() { echo "slurm-local: $*" >&2; exit 1; }

# slurmd puts Unix sockets (at most 108 bytes) of each job step under the spool folder.
[ ${#dir} -le 64 ] || die "DEEPOBS_SLURM_DIR is ${#dir} characters long; slurmd's socket paths below it would exceed 108 bytes; choose a folder of at most 64 characters"

need_binaries() {
  for b in munged slurmctld slurmd sinfo sbatch; do
    command -v "$b" >/dev/null ||
      die "$b not found; install Debian's slurm-wlm and munge (tools/install-deps.sh does)"
  done
}

running() {  # running <name>: the daemon of that pid file is alive
  local pid_file="$dir/$1.pid"
  [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null
}

write_config() {
  local host node_line
  host=$(hostname -s)
  # "NodeName=vm CPUs=2 Boards=1 ... RealMemory=24105": this machine, as slurmd sees it.
  node_line=$(slurmd -C | head -n 1 | sed "s/^NodeName=[^ ]*/NodeName=$host/")
  mkdir -p "$dir/state" "$dir/spool" "$dir/log"
  cat > "$conf" <<CONF
# Written by tools/slurm-local.sh: a one-node cluster for deepobs-cpp's tests.
ClusterName=deepobs-local
SlurmctldHost=$host
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge.socket
SlurmUser=root
SlurmdUser=root
SlurmctldPort=${DEEPOBS_SLURMCTLD_PORT:-6917}
SlurmdPort=${DEEPOBS_SLURMD_PORT:-6918}
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
SlurmctldTimeout=30
SlurmdTimeout=30
MinJobAge=600
$node_line State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
}

start() {
  [ "$(id -u)" -eq 0 ] || die "start needs root (the daemons run as root in this setup)"
  need_binaries
  if running slurmctld && running slurmd && running munged; then
    echo "slurm-local: already running ($dir)"
    echo "export SLURM_CONF=$conf"
    return 0
  fi
  mkdir -p "$dir"
  chmod 700 "$dir"
  write_config
  if ! running munged; then
    [ -f "$dir/munge.key" ] || { head -c 128 /dev/urandom > "$dir/munge.key"; }
    chmod 600 "$dir/munge.key"
    munged --force --key-file="$dir/munge.key" --socket="$dir/munge.socket" \
      --pid-file="$dir/munged.pid" --log-file="$dir/log/munged.log" \
      --seed-file="$dir/munged.seed" </dev/null >/dev/null 2>&1 || die "munged did not start; see $dir/log/munged.log"
  fi
  # The daemons' stdio goes to /dev/null: a caller reading this script's output through a pipe
  # would otherwise wait for daemons that hold it open for ever.
  running slurmctld || slurmctld -f "$conf" </dev/null >/dev/null 2>&1 || die "slurmctld did not start; see $dir/log/slurmctld.log"
  running slurmd || slurmd -f "$conf" </dev/null >/dev/null 2>&1 || die "slurmd did not start; see $dir/log/slurmd.log"
  for _ in $(seq 1 60); do
    state=$(sinfo -h -o %T 2>/dev/null | head -n 1 || true)
    case "$state" in
      idle|mixed|allocated)
        echo "slurm-local: node $(hostname -s) $state ($dir)"
        echo "export SLURM_CONF=$conf"
        return 0 ;;
      down*|drain*) scontrol update NodeName="$(hostname -s)" State=RESUME >/dev/null 2>&1 || true ;;
    esac
    sleep 1
  done
  die "the node did not become idle within 60 s (sinfo: ${state:-no answer}); see $dir/log/"
}

stop() {
  for d in slurmd slurmctld munged; do
    if running "$d"; then
      kill "$(cat "$dir/$d.pid")" 2>/dev/null || true
      for _ in $(seq 1 50); do running "$d" || break; sleep 0.1; done
    fi
  done
  echo "slurm-local: stopped ($dir)"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status)
    running slurmctld && running slurmd || { echo "slurm-local: not running ($dir)"; exit 1; }
    sinfo ;;
  env) echo "export SLURM_CONF=$conf" ;;
  *) echo "usage: tools/slurm-local.sh start|stop|status|env" >&2; exit 2 ;;
esac
