# One image for every role; the role is the container's command (worker, api, gateway, or all).
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY actors ./actors
COPY machines ./machines
COPY gateway ./gateway
COPY migrations ./migrations
COPY src ./src
COPY scripts ./scripts
COPY tsconfig.json ./
ENV NODE_ENV=production
EXPOSE 3000
# The edge processes' V8 flags (src/processes/node-flags.ts); docker-compose gives workers theirs.
ENTRYPOINT ["node", "--single-threaded-gc", "--max-semi-space-size=16", "--import", "tsx", "src/main.ts"]
CMD ["all"]
