package tui

import "time"

// Common is what every component shares: its size, the styles, the global key map and
// the clock. Components hold it by value and update Width and Height in SetSize.
type Common struct {
	Width, Height int
	Styles        *Styles
	KeyMap        *KeyMap
	// Now is the wall clock. Components read it only inside commands and when a result
	// arrives; codes are computed from tick times.
	Now func() time.Time
}
