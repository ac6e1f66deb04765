package ruleengine

import (
	"strings"

	"github.com/google/cel-go/cel"

	"github.com/otelsec/otelsec/internal/logview"
	"github.com/otelsec/otelsec/internal/schema"
)

// EventNameAttr is the identifier rules use for the LogRecord's EventName.
const EventNameAttr = logview.EventNameAttr

// BodyIdent is the identifier rules use for the LogRecord's Body (dyn: a string for log lines,
// a map for journald entries: body.MESSAGE).
const BodyIdent = "body"

type attrType int

const (
	typeString attrType = iota
	typeInt
	typeBool
	typeStringList
	typeDyn
)

func (t attrType) cel() *cel.Type {
	switch t {
	case typeInt:
		return cel.IntType
	case typeBool:
		return cel.BoolType
	case typeStringList:
		return cel.ListType(cel.StringType)
	case typeDyn:
		return cel.DynType
	}
	return cel.StringType
}

// knownAttrs gives the contract type of every otelsec attribute (schema.Types) and of
// event.name; anything else is a string.
var knownAttrs = func() map[string]attrType {
	m := map[string]attrType{EventNameAttr: typeString}
	for name, t := range schema.Types {
		switch t {
		case schema.TypeInt:
			m[name] = typeInt
		case schema.TypeBool:
			m[name] = typeBool
		case schema.TypeStringList:
			m[name] = typeStringList
		case schema.TypeMap:
			m[name] = typeDyn
		default:
			m[name] = typeString
		}
	}
	return m
}()

// contractNamespaces are the first components of contract attribute names: an unknown
// attribute under one of them is probably a typo, so Compile warns.
var contractNamespaces = func() map[string]bool {
	m := map[string]bool{}
	for k := range knownAttrs {
		m[k[:strings.IndexByte(k+".", '.')]] = true
	}
	return m
}()
