package main

import "syscall"

// selfCPUSeconds returns the user+system CPU time this process used so far.
func selfCPUSeconds() float64 {
	h, err := syscall.GetCurrentProcess()
	if err != nil {
		return 0
	}
	var creation, exit, kernel, user syscall.Filetime
	if err := syscall.GetProcessTimes(h, &creation, &exit, &kernel, &user); err != nil {
		return 0
	}
	// A Filetime here is a duration in units of 100 ns.
	units := func(t syscall.Filetime) float64 { return float64(uint64(t.HighDateTime)<<32 | uint64(t.LowDateTime)) }
	return (units(kernel) + units(user)) / 1e7
}
