"""Work: the queue reads, work item actions, one item's detail, orders,
process templates, and the step lifecycle that ties steps to approvals
and handoffs."""
