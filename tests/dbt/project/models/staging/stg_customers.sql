select id as customer_id, email, country_code
from {{ source('raw', 'customers') }}
