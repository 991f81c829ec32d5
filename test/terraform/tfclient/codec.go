package main

// grpc-go 1.33 marshals through github.com/golang/protobuf, which Debian ships as 1.3.5:
// it predates the APIv2 message types protoc-gen-go 1.28 generates (no
// XXX_OneofWrappers, so oneofs such as AttributePath.Step would be lost). This codec,
// registered under grpc's default name "proto", marshals APIv2 messages (ours) with
// google.golang.org/protobuf and everything else (go-plugin's own 1.3 messages: the
// broker, the controller, health) with github.com/golang/protobuf as before.

import (
	"fmt"

	protov1 "github.com/golang/protobuf/proto"
	"google.golang.org/grpc/encoding"
	protov2 "google.golang.org/protobuf/proto"
)

type dualCodec struct{}

func (dualCodec) Name() string { return "proto" }

func (dualCodec) Marshal(v interface{}) ([]byte, error) {
	switch m := v.(type) {
	case protov2.Message:
		return protov2.Marshal(m)
	case protov1.Message:
		return protov1.Marshal(m)
	}
	return nil, fmt.Errorf("codec: %T is not a protobuf message", v)
}

func (dualCodec) Unmarshal(data []byte, v interface{}) error {
	switch m := v.(type) {
	case protov2.Message:
		return protov2.Unmarshal(data, m)
	case protov1.Message:
		return protov1.Unmarshal(data, m)
	}
	return fmt.Errorf("codec: %T is not a protobuf message", v)
}

func init() { encoding.RegisterCodec(dualCodec{}) }
