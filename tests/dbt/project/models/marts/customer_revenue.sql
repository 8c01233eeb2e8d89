select c.customer_id, cc.country, sum(o.amount_eur) as revenue_eur
from {{ ref('stg_customers') }} as c
join {{ ref('stg_orders') }} as o on o.customer_id = c.customer_id
left join {{ ref('country_codes') }} as cc on cc.code = c.country_code
group by c.customer_id, cc.country
