package ruleengine

import "fmt"

// CannotMatch reports whether no rule can match any record of the event that has the given
// attribute values (strings, int64s or bools) and none of the absent attributes, whatever
// its other attributes are. It is what a producer asks before leaving a whole class of
// events out where the rules cannot see them (in the kernel): the answer is the views', so
// every doubt (a rule reading an attribute the class leaves open, a cel-go rule) says a rule
// may match.
func (e *Engine) CannotMatch(event string, given map[string]any, absent []string) (bool, error) {
	known := map[string]bool{}
	for _, a := range absent {
		known[a] = true
	}
	for a := range given {
		known[a] = true
	}
	p := e.Prefilter(func(attr string) bool { return known[attr] })
	v := p.newView()
	v.Begin(event)
	for a, val := range given {
		switch x := val.(type) {
		case string:
			v.Str(a, x)
		case int64:
			v.Int(a, x)
		case bool:
			v.Bool(a, x)
		default:
			return false, fmt.Errorf("attribute %s: a %T is not a string, int64 or bool", a, val)
		}
	}
	return !v.evaluate(), nil
}
