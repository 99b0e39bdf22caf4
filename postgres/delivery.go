package postgres

import (
	"context"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/internal/sqlbuild"
)

const deliveryCols = `id, app_id, message_id, endpoint_id, status, trigger_type, attempts, next_attempt_at,
	created_at, updated_at`

// deliveryRow holds the scan targets of deliveryCols.
type deliveryRow struct {
	d        hookline.Delivery
	status   int16
	trigger  int16
	attempts int32
	next     *time.Time
	c, u     time.Time
}

func (r *deliveryRow) dest() []any {
	return []any{&r.d.ID, &r.d.AppID, &r.d.MessageID, &r.d.EndpointID, &r.status, &r.trigger, &r.attempts,
		&r.next, &r.c, &r.u}
}

func (r *deliveryRow) delivery() hookline.Delivery {
	d := r.d
	d.Status = hookline.Status(r.status)
	d.Trigger = hookline.Trigger(r.trigger)
	d.Attempts = int(r.attempts)
	d.NextAttemptAt = utc(r.next)
	d.CreatedAt, d.UpdatedAt = r.c.UTC(), r.u.UTC()
	return d
}

// ListDeliveriesByMessage lists the deliveries of the application's message
// with their endpoints, by endpoint id.
func (s *Store) ListDeliveriesByMessage(ctx context.Context, appID, msgID string, opts hookline.ListOptions) (hookline.Page[*hookline.DeliveryView], error) {
	if err := s.messageExists(ctx, appID, msgID); err != nil {
		return hookline.Page[*hookline.DeliveryView]{}, err
	}
	query, args, n := newQuery().ListDeliveriesByMessage(`SELECT `+sqlbuild.Prefixed("d", deliveryCols)+`, `+sqlbuild.Prefixed("e", sqlbuild.ShownEndpointCols)+
		` FROM `+sqlbuild.Destinations+` e JOIN deliveries d ON d.endpoint_id = e.id`, appID, msgID, opts)
	return list(ctx, s, query, args, n, scanDeliveryView)
}

// scanDeliveryView scans a row of deliveryCols and the columns of its
// endpoint the API shows (sqlbuild.ShownEndpointCols).
func scanDeliveryView(r sqlbuild.Scanner) (*hookline.DeliveryView, error) {
	var dr deliveryRow
	var er endpointRow
	if err := r.Scan(append(dr.dest(), er.shownDest()...)...); err != nil {
		return nil, err
	}
	ep, err := er.shown()
	if err != nil {
		return nil, err
	}
	return &hookline.DeliveryView{Delivery: dr.delivery(), Endpoint: *ep}, nil
}

// ListMessagesByEndpoint lists the messages sent to the application's
// endpoint with the state of their delivery, by message id.
func (s *Store) ListMessagesByEndpoint(ctx context.Context, appID, endpointID string, f hookline.EndpointMessageFilter) (hookline.Page[*hookline.EndpointMessage], error) {
	if err := s.endpointExists(ctx, appID, endpointID); err != nil {
		return hookline.Page[*hookline.EndpointMessage]{}, err
	}
	query, args, n := newQuery().ListMessagesByEndpoint(`SELECT `+sqlbuild.Prefixed("m", messageCols)+`, `+sqlbuild.Prefixed("d", deliveryCols)+
		` FROM deliveries d JOIN messages m ON m.id = d.message_id`, appID, endpointID, f)
	return list(ctx, s, query, args, n, func(r sqlbuild.Scanner) (*hookline.EndpointMessage, error) {
		var mr messageRow
		var dr deliveryRow
		if err := r.Scan(append(mr.dest(), dr.dest()...)...); err != nil {
			return nil, err
		}
		m, err := mr.message()
		if err != nil {
			return nil, err
		}
		return &hookline.EndpointMessage{Message: *m, Delivery: dr.delivery()}, nil
	})
}
