-- A singular test: no customer has a negative revenue.
select * from {{ ref('customer_revenue') }} where revenue_eur < 0
