// Command echo_server serves rpcplugin.bench.Echo (bench/proto/bench/echo.proto) on
// grpc-go 1.33 (Debian's golang-google-grpc-dev), the Go baseline of rpcplugin-bench.
// Default grpc-go settings, as an application would start it.
//
// Usage:
//
//	echo_server -listen unix:/path|host:port [-tls -cert F -key F]
//
// Prints "READY <address>" once listening; SIGTERM or SIGINT stops it.
package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"

	pb "benchgo/benchpb"
)

const maxStreamBytes = 1 << 30

type echoServer struct{}

func (echoServer) Unary(ctx context.Context, req *pb.Payload) (*pb.Payload, error) {
	return &pb.Payload{Data: req.Data}, nil
}

func (echoServer) ServerStream(req *pb.StreamRequest, stream pb.Echo_ServerStreamServer) error {
	if uint64(req.Size)*uint64(req.Count) > maxStreamBytes {
		return status.Error(codes.InvalidArgument, "size * count over 1 GiB")
	}
	p := &pb.Payload{Data: []byte(strings.Repeat("x", int(req.Size)))}
	for i := uint32(0); i < req.Count; i++ {
		if err := stream.Send(p); err != nil {
			return err
		}
	}
	return nil
}

func (echoServer) Bidi(stream pb.Echo_BidiServer) error {
	for {
		p, err := stream.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := stream.Send(p); err != nil {
			return err
		}
	}
}

func main() {
	listenSpec := flag.String("listen", "127.0.0.1:0", "unix:/path or host:port")
	useTLS := flag.Bool("tls", false, "serve TLS (with -cert and -key)")
	certFile := flag.String("cert", "", "certificate chain (PEM)")
	keyFile := flag.String("key", "", "private key (PEM)")
	flag.Parse()

	var opts []grpc.ServerOption
	if *useTLS {
		cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
		if err != nil {
			fatalf("load key pair: %v", err)
		}
		cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		opts = append(opts, grpc.Creds(credentials.NewTLS(cfg)))
	}
	var lis net.Listener
	var err error
	addr := *listenSpec
	if strings.HasPrefix(addr, "unix:") {
		path := strings.TrimPrefix(addr, "unix:")
		os.Remove(path)
		lis, err = net.Listen("unix", path)
	} else {
		lis, err = net.Listen("tcp", addr)
		if err == nil {
			addr = lis.Addr().String()
		}
	}
	if err != nil {
		fatalf("listen %s: %v", *listenSpec, err)
	}
	srv := grpc.NewServer(opts...)
	pb.RegisterEchoServer(srv, echoServer{})
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-sigs
		srv.Stop()
	}()
	fmt.Printf("READY %s\n", addr)
	if err := srv.Serve(lis); err != nil {
		fatalf("serve: %v", err)
	}
}

func fatalf(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "echo_server: "+format+"\n", args...)
	os.Exit(1)
}
