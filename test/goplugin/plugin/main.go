// Command goplugin_kv_plugin is the Go reference implementation of rpcplugin's KV
// example plugin, written with go-plugin 1.0.1 (Debian 12) exactly as a Go plugin
// author would. It implements the contract documented in proto/kv/kv.proto, so
// the same host tests can drive it and the C++ example plugin.
//
// It is only meant to be launched by a go-plugin host (cookie
// RPCPLUGIN_KV_PLUGIN=kv); run directly it prints go-plugin's "This binary is a
// plugin" message and exits 1. Arguments are ignored.
package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"math"
	"net"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"sync"
	"time"
	"unsafe"

	hclog "github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"

	kvpb "goplugin/kvpb"
	"goplugin/kvplugin"
)

// callbackTimeout bounds a whole Helper.Sum call made over the broker.
const callbackTimeout = 10 * time.Second

// logger writes hclog JSON lines to the real fd 2, which the host reads as the
// plugin's log. It is created before plugin.Serve replaces os.Stderr with a pipe
// (go-plugin 1.0.1 never reads that pipe).
var logger = hclog.New(&hclog.LoggerOptions{
	Name:       "kv",
	Level:      hclog.Debug,
	Output:     os.Stderr,
	JSONFormat: true,
})

// kv is the plugin's service, created by register.
var kv *kvServer

func main() {
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: kvplugin.Handshake,
		Plugins: plugin.PluginSet{
			kvplugin.PluginName: &kvplugin.Plugin{Register: register},
		},
		GRPCServer: plugin.DefaultGRPCServer,
	})
	// Serve returns after Controller.Shutdown stopped the main server (or on a
	// startup error). Remove the counters' broker sockets before exiting.
	if kv != nil {
		kv.closeListeners()
	}
}

// register is called by go-plugin once, while it sets up the main gRPC server.
func register(broker *plugin.GRPCBroker, s *grpc.Server) error {
	kv = &kvServer{broker: broker, tls: fixBrokerDialTLS(broker), data: map[string][]byte{}}
	kvpb.RegisterKVServer(s, kv)
	return nil
}

// fixBrokerDialTLS works around a go-plugin 1.0.1 bug (fixed in 1.4.4, "automtls:
// fix bidirectional communication"): under AutoMTLS the plugin's broker uses the
// plugin's *server* TLS config also to Dial the host, and that config has neither
// RootCAs nor ServerName, so every plugin->host broker dial fails certificate
// verification. The config is reachable only through an unexported field, hence
// reflect/unsafe. It adds what 1.4.4 adds: trust the host's certificate (already
// in ClientCAs) and verify it for "localhost". Harmless on the server side: the
// main server cloned the config before this runs, and servers ignore both fields.
//
// It returns the broker's TLS config (nil without AutoMTLS), which StartCounter
// also needs to serve on broker listeners.
func fixBrokerDialTLS(broker *plugin.GRPCBroker) *tls.Config {
	f := reflect.ValueOf(broker).Elem().FieldByName("tls")
	if !f.IsValid() || f.Type() != reflect.TypeOf((*tls.Config)(nil)) {
		logger.Error("go-plugin's GRPCBroker has no tls field; AutoMTLS broker connections will fail")
		return nil
	}
	cfg := reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem().Interface().(*tls.Config)
	if cfg == nil {
		return nil // plaintext: nothing to fix
	}
	cfg.RootCAs = cfg.ClientCAs
	cfg.ServerName = "localhost"
	logger.Debug("patched broker dial TLS config for AutoMTLS callbacks")
	return cfg
}

type kvServer struct {
	broker *plugin.GRPCBroker
	tls    *tls.Config // AutoMTLS server config, nil for plaintext

	lisMu     sync.Mutex
	listeners []net.Listener // broker listeners of the counters

	mu   sync.Mutex
	data map[string][]byte
}

func (s *kvServer) Get(ctx context.Context, req *kvpb.GetRequest) (*kvpb.GetResponse, error) {
	s.mu.Lock()
	v, ok := s.data[req.Key]
	s.mu.Unlock()
	if !ok {
		return nil, status.Errorf(codes.NotFound, "key %q not found", req.Key)
	}
	return &kvpb.GetResponse{Value: v}, nil
}

func (s *kvServer) Put(ctx context.Context, req *kvpb.PutRequest) (*kvpb.Empty, error) {
	if req.AddServer == 0 {
		s.mu.Lock()
		s.data[req.Key] = append([]byte(nil), req.Value...)
		s.mu.Unlock()
		logger.Debug("put", "key", req.Key, "bytes", len(req.Value))
		return &kvpb.Empty{}, nil
	}

	// Host->plugin broker callback: store Helper.Sum(old, new).
	s.mu.Lock()
	old, exists := s.data[req.Key]
	s.mu.Unlock()
	var a int64
	if exists {
		var ok bool
		if a, ok = parseDecimal(old); !ok {
			return nil, status.Errorf(codes.InvalidArgument, "current value of %q is not a decimal integer", req.Key)
		}
	}
	b, ok := parseDecimal(req.Value)
	if !ok {
		return nil, status.Errorf(codes.InvalidArgument, "value for %q is not a decimal integer", req.Key)
	}

	conn, err := s.broker.Dial(req.AddServer)
	if err != nil {
		return nil, status.Errorf(codes.Unavailable, "dial broker id %d: %v", req.AddServer, err)
	}
	defer conn.Close()

	cctx, cancel := context.WithTimeout(ctx, callbackTimeout)
	defer cancel()
	resp, err := kvpb.NewHelperClient(conn).Sum(cctx, &kvpb.SumRequest{A: a, B: b})
	if err != nil {
		st, isStatus := status.FromError(err)
		if !isStatus {
			return nil, status.Errorf(codes.Unavailable, "Helper.Sum on broker id %d: %v", req.AddServer, err)
		}
		return nil, status.Errorf(st.Code(), "Helper.Sum on broker id %d: %s", req.AddServer, st.Message())
	}

	s.mu.Lock()
	s.data[req.Key] = []byte(strconv.FormatInt(resp.R, 10))
	s.mu.Unlock()
	logger.Debug("put via host callback", "key", req.Key, "a", a, "b", b, "r", resp.R, "broker_id", req.AddServer)
	return &kvpb.Empty{}, nil
}

func (s *kvServer) StartCounter(ctx context.Context, req *kvpb.StartCounterRequest) (*kvpb.StartCounterResponse, error) {
	// This is GRPCBroker.AcceptAndServe done by hand: go-plugin 1.0.1 never closes
	// AcceptAndServe's listener when the plugin exits, leaving its Unix socket
	// file behind; keeping the listener lets main remove it.
	id := s.broker.NextId()
	l, err := s.broker.Accept(id) // new listener; sends the ConnInfo to the host
	if err != nil {
		return nil, status.Errorf(codes.Unavailable, "broker accept %d: %v", id, err)
	}
	var opts []grpc.ServerOption
	if s.tls != nil {
		opts = append(opts, grpc.Creds(credentials.NewTLS(s.tls)))
	}
	srv := grpc.NewServer(opts...)
	kvpb.RegisterCounterServer(srv, &counterServer{total: req.Initial})
	s.lisMu.Lock()
	s.listeners = append(s.listeners, l)
	s.lisMu.Unlock()
	go srv.Serve(l)
	logger.Debug("counter started", "broker_id", id, "initial", req.Initial, "address", l.Addr().String())
	return &kvpb.StartCounterResponse{BrokerId: id}, nil
}

// closeListeners closes the counters' listeners (go-plugin's listeners remove
// their Unix socket file on Close).
func (s *kvServer) closeListeners() {
	s.lisMu.Lock()
	defer s.lisMu.Unlock()
	for _, l := range s.listeners {
		l.Close()
	}
	s.listeners = nil
}

type counterServer struct {
	mu    sync.Mutex
	total int64
}

func (c *counterServer) Add(ctx context.Context, req *kvpb.AddRequest) (*kvpb.AddResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if (req.Delta > 0 && c.total > math.MaxInt64-req.Delta) ||
		(req.Delta < 0 && c.total < math.MinInt64-req.Delta) {
		return nil, status.Error(codes.OutOfRange, fmt.Sprintf("%d + %d overflows int64", c.total, req.Delta))
	}
	c.total += req.Delta
	return &kvpb.AddResponse{Total: c.total}, nil
}

var decimalRE = regexp.MustCompile(`^-?[0-9]{1,19}$`)

// parseDecimal implements kv.proto's "decimal integer": optional '-', 1 to 19
// ASCII digits, within int64.
func parseDecimal(b []byte) (int64, bool) {
	if !decimalRE.Match(b) {
		return 0, false
	}
	v, err := strconv.ParseInt(string(b), 10, 64)
	return v, err == nil
}
