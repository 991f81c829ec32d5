package main

// Protocol 5 through protocol 6 types: the client is written against tfplugin6's
// messages; on protocol 5 each request is copied field by field (by proto field name) into
// its tfplugin5 counterpart and each response back. The two protocols use the same field
// names for the same concepts (their numbers differ in places); a field that has no
// counterpart is an error, except the ones listed in droppable.

import (
	"fmt"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// Fields of one protocol that the other lacks and that the client may ignore.
var droppable = map[protoreflect.FullName]bool{
	// v5 PrepareProviderConfig.Response.prepared_config: core decodes it and ignores it.
	"tfplugin5.PrepareProviderConfig.Response.prepared_config": true,
}

func convert(src, dst protoreflect.Message) error {
	var err error
	dfs := dst.Descriptor().Fields()
	src.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		df := dfs.ByName(fd.Name())
		if df == nil {
			if droppable[fd.FullName()] {
				return true
			}
			err = fmt.Errorf("%s has no counterpart in %s", fd.FullName(), dst.Descriptor().FullName())
			return false
		}
		if df.Kind() != fd.Kind() || df.Cardinality() != fd.Cardinality() || df.IsMap() != fd.IsMap() {
			err = fmt.Errorf("%s and %s differ in kind", fd.FullName(), df.FullName())
			return false
		}
		switch {
		case fd.IsMap():
			dm := dst.Mutable(df).Map()
			v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				if fd.MapValue().Message() == nil {
					dm.Set(k, mv)
					return true
				}
				e := dm.NewValue()
				if err = convert(mv.Message(), e.Message()); err != nil {
					return false
				}
				dm.Set(k, e)
				return true
			})
		case fd.IsList():
			dl := dst.Mutable(df).List()
			sl := v.List()
			for i := 0; i < sl.Len() && err == nil; i++ {
				if fd.Message() == nil {
					dl.Append(sl.Get(i))
					continue
				}
				e := dl.NewElement()
				if err = convert(sl.Get(i).Message(), e.Message()); err == nil {
					dl.Append(e)
				}
			}
		case fd.Message() != nil:
			err = convert(v.Message(), dst.Mutable(df).Message())
		default:
			dst.Set(df, v) // scalars; enums by number
		}
		return err == nil
	})
	return err
}
