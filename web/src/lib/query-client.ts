import { QueryClient } from "@tanstack/react-query";
import { ApiError } from "./api-client";

export const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      refetchOnWindowFocus: false,
      staleTime: 30_000,
      retry: (count, e) => {
        if (e instanceof ApiError && e.status >= 400 && e.status < 500) return false;
        return count < 2;
      },
    },
    mutations: { retry: false },
  },
});
