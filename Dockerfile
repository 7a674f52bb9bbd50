# The pricing monitor on Debian with the system Chromium (for JavaScript storefronts).
# One image for every role: `pricing init`, `pricing daemon`, `pricing serve`, and a
# Scrapyd crawl node (`scrapyd`, started in /app where scrapy.cfg names the project).
#   docker build -t pricing-monitor .
FROM python:3.11-slim-bookworm

RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium tini \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --create-home --home-dir /var/lib/pricing pricing

WORKDIR /app
COPY pyproject.toml README.md alembic.ini scrapy.cfg ./
COPY pricing ./pricing
COPY crawlers ./crawlers
COPY scheduler ./scheduler
COPY demo_market ./demo_market
COPY config ./config
COPY deploy/scrapyd.conf /etc/scrapyd/scrapyd.conf
# scrapyd 1.x runs eggs with pkg_resources: setuptools below 81
RUN pip install --no-cache-dir . "scrapyd>=1.5" "setuptools<81" \
 && mkdir -p /var/lib/pricing/var && chown -R pricing /var/lib/pricing

ENV PRICING_CONFIG_DIR=/app/config \
    PRICING_CHROMIUM_PATH=/usr/bin/chromium \
    PYTHONUNBUFFERED=1
USER pricing
EXPOSE 8000 6800
ENTRYPOINT ["tini", "--"]
CMD ["pricing", "--help"]
