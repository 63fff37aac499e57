{{ config(materialized='table', sort='id', dist='even') }}
select id, score, case when score >= 9 then 'promoter' when score <= 6 then 'detractor' else 'passive' end as kind
from {{ ref('nps_responses') }}
