// Command interop_server is a grpc-go implementation of gRPC's interop test server
// (grpc.testing.TestService, see doc/interop-test-descriptions.md upstream). It is the
// reference peer for testing rpcplugin's C++ client, so it implements every server
// feature strictly: EmptyCall, UnaryCall, StreamingInputCall, StreamingOutputCall,
// FullDuplexCall, HalfDuplexCall, Echo Status, Echo Metadata, CompressedRequest
// (expect_compressed is checked against the message's real compressed flag, both
// ways), CompressedResponse (per message) and interval_us.
//
// Usage:
//
//	interop_server -listen unix:/path/sock|host:port [-tls -cert F -key F [-client_ca F]]
//
// Once listening it prints "READY <address>" (the actual port for port 0) on stdout.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"io/ioutil"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"interop/gzipctl"
	testpb "interop/testpb"
)

const (
	echoInitialKey  = "x-grpc-test-echo-initial"
	echoTrailingKey = "x-grpc-test-echo-trailing-bin"
)

var serverID = flag.String("server_id", "go-interop-server", "value of SimpleResponse.server_id when fill_server_id is set")

func main() {
	listenSpec := flag.String("listen", "127.0.0.1:0", "unix:/path/to/socket or host:port (port 0 picks a free port)")
	useTLS := flag.Bool("tls", false, "serve TLS (requires -cert and -key)")
	certFile := flag.String("cert", "", "server certificate chain (PEM)")
	keyFile := flag.String("key", "", "server private key (PEM)")
	clientCA := flag.String("client_ca", "", "require client certificates signed by this CA (PEM); implies -tls")
	flag.Parse()

	opts := gzipctl.ServerOptions()
	opts = append(opts, grpc.UnaryInterceptor(unaryInterceptor), grpc.StreamInterceptor(streamInterceptor))
	if *useTLS || *clientCA != "" {
		creds, err := serverCreds(*certFile, *keyFile, *clientCA)
		if err != nil {
			fatalf("%v", err)
		}
		opts = append(opts, grpc.Creds(creds))
	}

	lis, addr, err := listen(*listenSpec)
	if err != nil {
		fatalf("listen %s: %v", *listenSpec, err)
	}
	srv := grpc.NewServer(opts...)
	testpb.RegisterTestServiceServer(srv, &testServer{})

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-sigs
		stopped := make(chan struct{})
		go func() { srv.GracefulStop(); close(stopped) }()
		select {
		case <-stopped:
		case <-time.After(2 * time.Second):
			srv.Stop()
		}
	}()

	fmt.Printf("READY %s\n", addr) // os.Stdout is unbuffered
	if err := srv.Serve(lis); err != nil {
		fatalf("serve: %v", err)
	}
}

func fatalf(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "interop_server: "+format+"\n", args...)
	os.Exit(1)
}

// listen opens the listener and returns the address to announce.
func listen(spec string) (net.Listener, string, error) {
	if strings.HasPrefix(spec, "unix:") {
		path := strings.TrimPrefix(strings.TrimPrefix(spec, "unix:"), "//")
		if path == "" {
			return nil, "", fmt.Errorf("empty socket path")
		}
		if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSocket != 0 {
			os.Remove(path) // stale socket from an earlier run
		}
		lis, err := net.Listen("unix", path)
		if err != nil {
			return nil, "", err
		}
		return lis, "unix:" + path, nil
	}
	lis, err := net.Listen("tcp", spec)
	if err != nil {
		return nil, "", err
	}
	return lis, lis.Addr().String(), nil
}

func serverCreds(certFile, keyFile, clientCA string) (credentials.TransportCredentials, error) {
	if certFile == "" || keyFile == "" {
		return nil, fmt.Errorf("-tls needs -cert and -key")
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("load key pair: %v", err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if clientCA != "" {
		pem, err := ioutil.ReadFile(clientCA)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s: no PEM certificates", clientCA)
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return credentials.NewTLS(cfg), nil
}

// echoMetadata returns the metadata to echo back (Echo Metadata feature).
func echoMetadata(ctx context.Context) (header, trailer metadata.MD) {
	in, _ := metadata.FromIncomingContext(ctx)
	header, trailer = metadata.MD{}, metadata.MD{}
	if v := in.Get(echoInitialKey); len(v) > 0 {
		header.Set(echoInitialKey, v...)
	}
	if v := in.Get(echoTrailingKey); len(v) > 0 {
		trailer.Set(echoTrailingKey, v...)
	}
	return header, trailer
}

// Every call starts without a grpc-encoding response header (grpc-go would announce
// gzip on every call); handlers turn it on when they compress a response.

func unaryInterceptor(ctx context.Context, req interface{}, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (interface{}, error) {
	gzipctl.SetCallEncoding(ctx, "")
	header, trailer := echoMetadata(ctx)
	if header.Len() > 0 {
		grpc.SetHeader(ctx, header)
	}
	if trailer.Len() > 0 {
		grpc.SetTrailer(ctx, trailer)
	}
	return handler(ctx, req)
}

func streamInterceptor(srv interface{}, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	gzipctl.SetCallEncoding(ss.Context(), "")
	header, trailer := echoMetadata(ss.Context())
	if header.Len() > 0 {
		ss.SetHeader(header)
	}
	if trailer.Len() > 0 {
		ss.SetTrailer(trailer)
	}
	return handler(srv, ss)
}

type testServer struct {
	testpb.UnimplementedTestServiceServer // UnimplementedCall stays unimplemented
}

func (*testServer) EmptyCall(context.Context, *testpb.Empty) (*testpb.Empty, error) {
	return &testpb.Empty{}, nil
}

func (*testServer) UnaryCall(ctx context.Context, req *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	if err := checkCompression(ctx, req.GetExpectCompressed()); err != nil {
		return nil, err
	}
	if err := echoStatus(req.GetResponseStatus()); err != nil {
		return nil, err
	}
	payload, err := newPayload(req.GetResponseType(), req.GetResponseSize())
	if err != nil {
		return nil, err
	}
	resp := &testpb.SimpleResponse{Payload: payload}
	if req.GetFillServerId() {
		resp.ServerId = *serverID
	}
	compress := req.GetResponseCompressed().GetValue()
	if compress {
		gzipctl.SetCallEncoding(ctx, gzipctl.Name)
	}
	gzipctl.Mark(resp, compress)
	return resp, nil
}

func (*testServer) CacheableUnaryCall(ctx context.Context, _ *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	grpc.SetHeader(ctx, metadata.Pairs("cache-control", "max-age=60, public"))
	body := []byte(strconv.FormatInt(time.Now().UnixNano(), 10))
	return &testpb.SimpleResponse{Payload: &testpb.Payload{Body: body}}, nil
}

func (*testServer) StreamingOutputCall(req *testpb.StreamingOutputCallRequest, stream testpb.TestService_StreamingOutputCallServer) error {
	if err := echoStatus(req.GetResponseStatus()); err != nil {
		return err
	}
	r := responder{ctx: stream.Context(), send: stream.Send}
	return r.respond(req)
}

func (*testServer) StreamingInputCall(stream testpb.TestService_StreamingInputCallServer) error {
	var total int
	for {
		req, err := stream.Recv()
		if err == io.EOF {
			return stream.SendAndClose(&testpb.StreamingInputCallResponse{AggregatedPayloadSize: int32(total)})
		}
		if err != nil {
			return err
		}
		if err := checkCompression(stream.Context(), req.GetExpectCompressed()); err != nil {
			return err
		}
		total += len(req.GetPayload().GetBody())
	}
}

func (*testServer) FullDuplexCall(stream testpb.TestService_FullDuplexCallServer) error {
	r := responder{ctx: stream.Context(), send: stream.Send}
	for {
		req, err := stream.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := echoStatus(req.GetResponseStatus()); err != nil {
			return err
		}
		if err := r.respond(req); err != nil {
			return err
		}
	}
}

func (*testServer) HalfDuplexCall(stream testpb.TestService_HalfDuplexCallServer) error {
	var reqs []*testpb.StreamingOutputCallRequest
	for {
		req, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if err := echoStatus(req.GetResponseStatus()); err != nil {
			return err
		}
		reqs = append(reqs, req)
	}
	r := responder{ctx: stream.Context(), send: stream.Send}
	for _, req := range reqs {
		if err := r.respond(req); err != nil {
			return err
		}
	}
	return nil
}

// responder sends the responses a StreamingOutputCallRequest asks for.
type responder struct {
	ctx     context.Context
	send    func(*testpb.StreamingOutputCallResponse) error
	decided bool // the call's grpc-encoding is fixed once the first response is sent
	gzip    bool
}

func (r *responder) respond(req *testpb.StreamingOutputCallRequest) error {
	params := req.GetResponseParameters()
	if len(params) == 0 {
		return nil
	}
	if !r.decided {
		// Response headers go out with the first response, so the encoding is chosen
		// now: gzip if any response of this request is to be compressed.
		r.decided = true
		for _, p := range params {
			if p.GetCompressed().GetValue() {
				r.gzip = gzipctl.SetCallEncoding(r.ctx, gzipctl.Name)
				break
			}
		}
	}
	for _, p := range params {
		if err := sleepMicros(r.ctx, p.GetIntervalUs()); err != nil {
			return err
		}
		payload, err := newPayload(req.GetResponseType(), p.GetSize())
		if err != nil {
			return err
		}
		resp := &testpb.StreamingOutputCallResponse{Payload: payload}
		gzipctl.Mark(resp, r.gzip && p.GetCompressed().GetValue())
		if err := r.send(resp); err != nil {
			return err
		}
	}
	return nil
}

func sleepMicros(ctx context.Context, us int32) error {
	if us <= 0 {
		return nil
	}
	t := time.NewTimer(time.Duration(us) * time.Microsecond)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return status.FromContextError(ctx.Err()).Err()
	}
}

func newPayload(t testpb.PayloadType, size int32) (*testpb.Payload, error) {
	if t != testpb.PayloadType_COMPRESSABLE {
		return nil, status.Errorf(codes.InvalidArgument, "unsupported response_type %v", t)
	}
	if size < 0 {
		return nil, status.Errorf(codes.InvalidArgument, "negative response size %d", size)
	}
	return &testpb.Payload{Type: t, Body: make([]byte, size)}, nil
}

// echoStatus implements Echo Status: a non-OK response_status ends the call with it.
func echoStatus(s *testpb.EchoStatus) error {
	if s == nil || s.GetCode() == 0 {
		return nil
	}
	return status.Error(codes.Code(s.GetCode()), s.GetMessage())
}

// checkCompression implements CompressedRequest: if expect_compressed is present, the
// message just received must have had the compressed flag set exactly as it says.
func checkCompression(ctx context.Context, expect *testpb.BoolValue) error {
	if expect == nil {
		return nil
	}
	rec := gzipctl.RecorderFrom(ctx)
	if rec == nil {
		return status.Error(codes.Internal, "no compression recorder on this call")
	}
	got, ok := rec.Last()
	if !ok {
		return status.Error(codes.Internal, "compressed flag of the request was not recorded")
	}
	if got != expect.GetValue() {
		return status.Errorf(codes.InvalidArgument, "expect_compressed is %v but the request's compressed flag is %v", expect.GetValue(), got)
	}
	return nil
}
