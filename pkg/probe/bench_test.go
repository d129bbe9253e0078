package probe_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aio-authn/kubectl-aio-authn/pkg/pki"
	"github.com/aio-authn/kubectl-aio-authn/pkg/probe"
)

// The connect-rate runner against mosquitto on this machine, 8 connections
// at a time: ns/op is the wall time per connect of client and broker
// together, connects/s the runner's own figure.
//
//	go test ./pkg/probe -run '^$' -bench Rate -benchtime 5000x

func BenchmarkRatePassword(b *testing.B) {
	m := passwordMosquitto(b)
	benchRate(b, probe.Config{Server: plain(m), Credentials: probe.Credentials{Username: "alice", Password: []byte("wonderland")}, KeepAlive: 60})
}

func BenchmarkRateClientCertificate(b *testing.B) {
	dir := chainDir(b)
	m := certMosquitto(b, dir, "tlsv1.2")
	benchRate(b, probe.Config{
		Server:      secure(m),
		RootCAs:     caPool(b, filepath.Join(dir, pki.ChainFile)),
		Credentials: probe.Credentials{Certificate: clientCert(b, filepath.Join(dir, "thermostat_key.pem"), filepath.Join(dir, "thermostat_cert.pem"), filepath.Join(dir, pki.IntermediateCertFile))},
		KeepAlive:   60,
	})
}

// BenchmarkRateAgainstPahoClient compares the connect-rate runner, which
// writes CONNECT and reads CONNACK with paho's packets directly, with the
// plain way: a full paho client per connection (Probe with no steps), 8 at
// a time, against an anonymous mosquitto. The figures in rate.go's opening
// comment come from here.
//
//	go test ./pkg/probe -run '^$' -bench RateAgainstPahoClient -benchtime 3000x -count 5
func BenchmarkRateAgainstPahoClient(b *testing.B) {
	m := anonymousMosquitto(b)
	const concurrency = 8
	b.Run("packets", func(b *testing.B) {
		benchRate(b, probe.Config{Server: plain(m), KeepAlive: 60})
	})
	b.Run("paho-client", func(b *testing.B) {
		var probers []*probe.Prober
		for w := range concurrency {
			// One client identifier per worker: mosquitto would take
			// over a session whose identifier another worker holds.
			p, err := probe.New(probe.Config{Server: plain(m), KeepAlive: 60, ClientID: fmt.Sprintf("bench-paho-%d", w)})
			if err != nil {
				b.Fatal(err)
			}
			probers = append(probers, p)
		}
		var next atomic.Int64
		var failed atomic.Value
		var wg sync.WaitGroup
		b.ResetTimer()
		for _, p := range probers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for next.Add(1) <= int64(b.N) {
					if r := p.Probe(context.Background(), probe.Steps{}); r.Outcome != probe.Connected {
						failed.Store(fmt.Sprintf("%+v", r))
						return
					}
				}
			}()
		}
		wg.Wait()
		b.StopTimer()
		if f := failed.Load(); f != nil {
			b.Fatal(f)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "connects/s")
	})
}

func benchRate(b *testing.B, cfg probe.Config) {
	p, err := probe.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	r := p.Rate(context.Background(), probe.RateOptions{Count: b.N, Concurrency: 8})
	b.StopTimer()
	if r.OK != b.N {
		b.Fatalf("%+v", r)
	}
	b.ReportMetric(r.ConnectsPerSec, "connects/s")
	b.ReportMetric(r.LatencyMs.P99, "p99-ms")
}
