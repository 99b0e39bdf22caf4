package postgres

import "github.com/hookline/hookline"

// Figures reports the use of the connection pool (hookline.FigureReporter).
func (s *Store) Figures() []hookline.Figure {
	st := s.pool.Stat()
	return []hookline.Figure{
		{Name: "postgres_pool_connections", Help: "Connections open in the pool.", Value: float64(st.TotalConns())},
		{Name: "postgres_pool_acquired_connections", Help: "Connections in use.", Value: float64(st.AcquiredConns())},
		{Name: "postgres_pool_idle_connections", Help: "Connections open and idle.", Value: float64(st.IdleConns())},
		{Name: "postgres_pool_max_connections", Help: "The most connections the pool opens.", Value: float64(st.MaxConns())},
		{Name: "postgres_pool_acquires_total", Help: "Connections taken from the pool.", Counter: true, Value: float64(st.AcquireCount())},
		{Name: "postgres_pool_empty_acquires_total", Help: "Connections taken that had to wait, none being idle.", Counter: true, Value: float64(st.EmptyAcquireCount())},
		{Name: "postgres_pool_empty_acquire_wait_seconds_total", Help: "Time spent waiting for a connection, none being idle.", Counter: true, Value: st.EmptyAcquireWaitTime().Seconds()},
	}
}
