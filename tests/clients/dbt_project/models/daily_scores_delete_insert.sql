-- An incremental model with a unique_key: its second run takes the last day again, and the key keeps one
-- row per day.
{{ config(materialized='incremental', unique_key='day', incremental_strategy='delete+insert', sort='day', dist='day') }}
select trunc(created_at) as day, count(*) as responses, avg(score::float) as average_score
from {{ ref('nps_responses') }}
{% if is_incremental() %}
where trunc(created_at) >= (select max(day) from {{ this }})
{% endif %}
group by 1
