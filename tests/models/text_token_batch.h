// The token batch the text model tests share: <cls> (2) first, then texts of 5, 2 and 7
// positions, padded with 0 — shorter than some convolution widths, and one full row.
#pragma once

#include <ATen/ATen.h>

namespace distill::testing {

inline at::Tensor token_batch() {
  return at::tensor({2, 9, 17, 33, 5, 0, 0,  //
                     2, 11, 0, 0, 0, 0, 0,   //
                     2, 4, 4, 39, 21, 8, 30},
                    at::kLong)
      .view({3, 7});
}

}  // namespace distill::testing
