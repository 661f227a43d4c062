# jq -c -f examples/followups.jq: the follow-up commands a service sends
# when it reads the payment events (`payatom-ctl tail payatom.evt.payment
# --from-beginning ... | jq -c -f examples/followups.jq | payatom-ctl send -`):
#  - a SUCCEEDED UPI P2C payin is refunded in full (the goods came back);
#  - a DECLINED payin gets a complaint (the customer says the money left
#    the account), then its status is asked for.
# Both need the order settled, and a complaint names the order's ref_code,
# which only the gateway's answer, and so the order's events, carry.
.value
| if .status == "SUCCEEDED" and .product == "PAYIN_UPI_P2C_SEAMLESS" then
    {type: "refund", command_id: ("refund-" + .order_id), merchant, order_id,
     amount_minor: 0, currency, reason: "customer returned the goods",
     created_at: (now * 1000 | floor)}
  elif .status == "DECLINED" and .direction == "PAYIN" then
    {type: "complaint_submit", command_id: ("complaint-" + .order_id),
     merchant, order_id, ref_code,
     description: "customer says the money left the account",
     created_at: (now * 1000 | floor)},
    {type: "complaint_status", command_id: ("complaint-status-" + .order_id),
     merchant, order_id, created_at: (now * 1000 | floor)}
  else empty end
