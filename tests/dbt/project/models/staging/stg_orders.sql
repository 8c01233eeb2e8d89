select id as order_id, customer_id, amount_cents / 100.0 as amount_eur
from {{ source('raw', 'orders') }}
