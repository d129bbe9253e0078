package cmd

import (
	"context"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
)

// interrupt turns SIGINT and SIGTERM into the cancellation of a context,
// for commands that must clean up before they exit (minting removes what it
// staged). Other commands keep the default: the signal ends them at once.
type interrupt struct {
	ctx    context.Context
	cancel context.CancelFunc
	ch     chan os.Signal
	sig    atomic.Value // os.Signal
}

func onInterrupt(parent context.Context) *interrupt {
	if parent == nil {
		parent = context.Background()
	}
	i := &interrupt{ch: make(chan os.Signal, 1)}
	i.ctx, i.cancel = context.WithCancel(parent)
	signal.Notify(i.ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case s := <-i.ch:
			i.sig.Store(s)
			i.cancel()
		case <-i.ctx.Done():
		}
	}()
	return i
}

// stop restores the default handling of the signals.
func (i *interrupt) stop() {
	signal.Stop(i.ch)
	i.cancel()
}

// err is the error to exit with after a signal came (exit 128 + its
// number, as shells report a process the signal killed), nil if none did.
func (i *interrupt) err(what string) error {
	s, ok := i.sig.Load().(os.Signal)
	if !ok {
		return nil
	}
	n, ok := s.(syscall.Signal)
	if !ok {
		n = syscall.SIGINT
	}
	return &interrupted{signal: n, what: what}
}
