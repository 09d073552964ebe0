# The Tarn API (and the one-shot `npm run migrate`, which uses the same image).
# Build: docker build -t tarn .       Run everything: docker compose up --build
FROM node:20-slim

WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false

# Dependencies first, so source edits do not invalidate this layer. Dev dependencies stay installed:
# the build needs the Nest CLI and TypeScript.
COPY package.json package-lock.json ./
RUN npm ci

# Only what the build and the migrations need (never a host node_modules or dist).
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY apps ./apps
COPY libs ./libs
COPY migrations ./migrations
COPY scripts ./scripts
RUN npm run build

ENV NODE_ENV=production TARN_PORT=8080 TARN_HOST=0.0.0.0
EXPOSE 8080
CMD ["node", "dist/apps/api/src/main.js"]
