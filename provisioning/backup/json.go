package backup

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"strings"
)

// jsonInt is a whole number that apps write as a JSON number or a string of digits
// (and sometimes null, which reads as unset).
type jsonInt struct {
	v   int64
	set bool
}

// UnmarshalJSON accepts 30, "30" and null.
func (n *jsonInt) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		*n = jsonInt{}
		return nil
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		s = strings.TrimSpace(s)
		if s == "" {
			*n = jsonInt{}
			return nil
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || f != math.Trunc(f) || f > math.MaxInt64 || f < math.MinInt64 {
			return &json.UnmarshalTypeError{Value: "non-integer " + quoteName(s), Type: intType}
		}
		v = int64(f)
	}
	*n = jsonInt{v: v, set: true}
	return nil
}

// or is the number, or def when it was not given.
func (n jsonInt) or(def int64) int64 {
	if !n.set {
		return def
	}
	return n.v
}

// int is the number as an int, clamped (for fields whose range Validate checks).
func (n jsonInt) int(def int) int {
	v := n.or(int64(def))
	switch {
	case v > math.MaxInt32:
		return math.MaxInt32
	case v < math.MinInt32:
		return math.MinInt32
	}
	return int(v)
}

var intType = reflect.TypeFor[int64]()
