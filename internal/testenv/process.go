package testenv

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// process is one server of the control plane, its output going to a log file.
type process struct {
	name    string
	logPath string
	cmd     *exec.Cmd
	logFile *os.File
	done    chan struct{} // closed once the process has exited
	waitErr error         // valid after done is closed
}

// startProcess starts bin with args and extra environment, output (stdout
// and stderr) appended to logPath.
func startProcess(name, bin string, args, env []string, dir, logPath string) (*process, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &process{name: name, logPath: logPath, cmd: cmd, logFile: logFile, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	return p, nil
}

// exited reports whether the process has ended, and how.
func (p *process) exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.waitErr
	default:
		return false, nil
	}
}

// stop ends the process group: SIGTERM, then SIGKILL after grace.
func (p *process) stop(grace time.Duration) {
	if p == nil {
		return
	}
	if ok, _ := p.exited(); !ok {
		signalGroup(p.cmd.Process, syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(grace):
		}
	}
	// Children the server may have left in its group go too.
	signalGroup(p.cmd.Process, syscall.SIGKILL)
	<-p.done
}

// tail returns the last lines of the process's log, for error messages.
func (p *process) tail() string {
	return logTail(p.logPath, 40, 8<<10)
}

// failure describes a server that exited or did not become ready, with the
// end of its log.
func (p *process) failure(what string) error {
	status := ""
	if ok, err := p.exited(); ok {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			status = " (" + exitErr.ProcessState.String() + ")"
		} else {
			status = " (exited)"
		}
	}
	// The log's directory is removed with the control plane, so the error
	// carries the tail rather than a path.
	return fmt.Errorf("%s %s%s; last lines of its log:\n%s", p.name, what, status, p.tail())
}

func logTail(path string, lines, maxBytes int) string {
	f, err := os.Open(path)
	if err != nil {
		return "  (no log: " + err.Error() + ")"
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "  (no log: " + err.Error() + ")"
	}
	off := fi.Size() - int64(maxBytes)
	if off < 0 {
		off = 0
	}
	buf, err := io.ReadAll(io.NewSectionReader(f, off, fi.Size()-off))
	if err != nil {
		return "  (no log: " + err.Error() + ")"
	}
	buf = bytes.TrimRight(buf, "\n")
	all := strings.Split(string(buf), "\n")
	if off > 0 && len(all) > 1 {
		all = all[1:] // first line is probably cut
	}
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	if len(all) == 1 && all[0] == "" {
		return "  (log is empty)"
	}
	return "  " + strings.Join(all, "\n  ")
}
